@FEAT-5 @approved @ADR-0002 @REQ-104
Feature: Payment receipts
  As a shopper
  I want an e-mail receipt when I am charged or refunded
  So that I have proof of payment for my records

  Background:
    Given the notifications service consumes the "payments.events" topic
    And the shopper's e-mail address is "ines@example.com"

  @SC-12
  Scenario: Receipt after capture
    When the event "payment.captured" arrives for a payment of 49.90 EUR
    Then one e-mail is sent to "ines@example.com" with the body:
      """
      Thank you for your order at Moss & Fern.
      Amount charged: 49.90 EUR
      Card: Visa ending in 4242
      Reference: pay_7Qd2kR
      """
    But the body does not contain the full card number

  @SC-13
  Scenario: Duplicate events send a single receipt
    Given the event "evt_001" of type "payment.captured" was already handled
    When the event "evt_001" is delivered again
    Then no additional e-mail is sent
