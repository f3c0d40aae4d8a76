@FEAT-2 @status:review @ADR-0006 @REQ-103
Feature: Refund a captured payment
  As a merchant support agent
  I want to refund all or part of a captured payment
  So that customers get their money back without manual ledger corrections

  Background:
    Given a payment of 80.00 EUR captured 10 days ago for merchant "Moss & Fern"

  Rule: Refunds never exceed the captured amount

    @SC-4
    Scenario: Partial refund
      When the agent refunds 30.00 EUR
      Then the payment is still "captured"
      And the refundable balance is 50.00 EUR

    @SC-5
    Scenario: Refund larger than the remaining balance is rejected
      Given 60.00 EUR has already been refunded
      When the agent refunds 30.00 EUR
      Then the refund is rejected with error "amount_exceeds_refundable"
      But no ledger entry is written

  Rule: Refunds are reversing ledger entries

    @SC-6
    Scenario: Full refund posts a reversing entry
      When the agent refunds 80.00 EUR
      Then the payment is "refunded"
      And a journal entry reversing the capture is appended to the ledger
      But the original capture postings are unchanged

    Scenario: Refund window has closed
      Given the payment was captured 181 days ago
      When the agent refunds 10.00 EUR
      Then the refund is rejected with error "refund_window_closed"
