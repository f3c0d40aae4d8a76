Feature: Signs
  Scenario: a currency sign
    Then the price is shown in €
    And the price is shown in 💶
