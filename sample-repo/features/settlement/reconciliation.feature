@FEAT-6 @deprecated @ADR-0008 @REQ-130
Feature: Nightly settlement reconciliation
  As a finance operator
  I want acquirer settlement files matched against captured payments
  So that discrepancies are found before month-end close

  # Deprecated with ADR-0008: the acquirer retires SFTP settlement files at the end of 2024.

  Background:
    Given the SFTP job downloaded "settlement-2024-05-31.csv"

  @SC-14
  Scenario: All settled transactions match the ledger
    Given the file lists these settled transactions:
      | reference  | amount | currency |
      | pay_7Qd2kR |  49.90 | EUR      |
      | pay_9Lm3xT | 120.00 | EUR      |
    And both payments are "captured" in the ledger
    When reconciliation runs
    Then the reconciliation report shows 0 discrepancies

  @SC-15
  Scenario: Missing settlement is flagged
    Given the payment "pay_4Hs8vN" is "captured" but absent from the file
    When reconciliation runs
    Then the report flags "pay_4Hs8vN" as "missing_settlement"
