Feature: Shop
  Background:
    Given a customer named "Ann"

  Scenario: buying
    Given 3 items in the basket
    And a coupon for 10 percent
    When the customer pays
    But the basket is kept
    Then the order is placed
    * a mail is sent

  Scenario: refunds
    Given 2 items in the basket
    When the customer asks for a refund
    Then the refund is 20 EUR
    And the refund is 20 euros

  Scenario Outline: totals
    Given <n> items in the basket
    Then the total is <total>

    Examples:
      | n | total |
      | 1 | 10    |
      | 2 | abc   |
      | 3 | 30    |
