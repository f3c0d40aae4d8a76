@FEAT-3 @approved @ADR-0006 @REQ-101
Feature: Balanced ledger postings
  Every money movement is recorded as an append-only journal entry whose postings sum to zero.

  In order to produce audit-ready balances for any date
  As a finance controller
  I want the ledger to reject unbalanced entries and never rewrite history

  @SC-7
  Scenario Outline: Journal entries must balance
    When the ledger receives an entry with postings <postings>
    Then the entry is <result>

    Examples:
      | postings               | result   |
      | +100.00, -100.00       | accepted |
      | +100.00, -97.10, -2.90 | accepted |
      | +100.00, -99.00        | rejected |
      | +100.00                | rejected |

  @SC-8
  Scenario: Historical balance is reproducible
    Given these journal entries for account "merchant:moss-fern":
      | date       | amount  |
      | 2024-12-30 |  120.00 |
      | 2024-12-31 |  -20.00 |
      | 2025-01-02 |   55.00 |
    When finance asks for the balance on "2024-12-31"
    Then the balance is 100.00 EUR

  @SC-9
  Scenario: Corrections never update existing postings
    Given a posting of 12.00 EUR was booked to the wrong merchant
    When an operator corrects it
    Then a reversing entry and a new entry are appended
    But the number of updated rows in "postings" is 0
