@FEAT-1 @approved @ADR-0004 @ADR-0005 @REQ-102 @REQ-110
Feature: Pay with a card
  As a shopper
  I want to pay for my order with a saved or new card
  So that the merchant can ship my order without delay

  Background:
    Given the merchant "Moss & Fern" accepts payments in "EUR"
    And the card vault returns the token "tok_visa_4242" for the shopper's card

  @SC-1
  Scenario: Successful payment is authorized and captured
    When the shopper pays 49.90 EUR with idempotency key "order-1001-attempt-1"
    Then the payment is "captured"
    And the ledger holds these postings:
      | account             | amount |
      | merchant:moss-fern  |  48.45 |
      | lumen:fees          |   1.45 |
      | clearing:acquirer   | -49.90 |

  @SC-2
  Scenario: Retrying with the same idempotency key does not charge twice
    Given the shopper paid 49.90 EUR with idempotency key "order-1001-attempt-1"
    When the client retries the same request after a timeout
    Then the response is the stored response of the first request
    But no second authorization is sent to the acquirer

  @SC-3
  Scenario Outline: Invalid payment requests are rejected before authorization
    When the shopper pays <amount> <currency> with idempotency key "<key>"
    Then the request is rejected with status <status> and error "<error>"

    Examples: Validation errors
      | amount | currency | key                  | status | error                 |
      | 0.00   | EUR      | order-1002-attempt-1 | 422    | amount_not_positive   |
      | 10.00  | JPY      | order-1003-attempt-1 | 422    | currency_unsupported  |
      | 10.00  | EUR      | short                | 400    | idempotency_key_short |

    Examples: Key reused with a different body
      | amount | currency | key                  | status | error                 |
      | 59.90  | EUR      | order-1001-attempt-1 | 409    | idempotency_conflict  |
