@FEAT-1
Feature: Shopping cart
  Shoppers collect items before checking out.

  @SC-1
  Scenario: Add an item
    Given an empty cart
    When I add 1 apples
    Then the cart holds 1 items

  Scenario: Remove an item
    Given a cart with 2 items
    When I remove 1 items
    Then the cart holds 1 items

  Scenario Outline: Add several
    Given an empty cart
    When I add <n> apples
    Then the cart holds <total> items

    Examples: small
      | n | total |
      | 1 | 1     |
      | 2 | 3     |

  Scenario: Check out
    Given a cart with 2 items
    When I check out
    Then the cart holds 0 items
