@FEAT-4 @wip @ADR-0007 @REQ-120
Feature: Fraud screening before authorization
  As a risk analyst
  I want high-risk payments to be stopped before they reach the acquirer
  So that we pay fewer chargeback fees

  Background:
    Given the fraud service is available
    And the review threshold is 0.5 and the block threshold is 0.8

  @SC-10
  Scenario Outline: Payment routed by fraud score
    Given a pending payment of 250.00 EUR
    When the fraud service scores it <score>
    Then the fraud decision is "<decision>"
    And the payment is "<payment state>"

    Examples:
      | score | decision | payment state |
      | 0.12  | allowed  | authorized    |
      | 0.65  | review   | pending       |
      | 0.93  | blocked  | failed        |

  @SC-11 @REQ-121
  Scenario: Fraud service timeout fails open
    Given the fraud service takes 400 ms to answer
    When a pending payment of 20.00 EUR is authorized
    Then the fraud decision is "allowed"
    But an alert "fraud_check_timeout" is raised for risk operations
