Feature: The compatibility kit's cases
  Equivalents of cucumber/compatibility-kit's samples "undefined", "ambiguous" and "unused-steps".

  Scenario: An undefined step causes a failure
    Given a step that is yet to be defined

  Scenario: Steps before undefined steps are executed
    Given a step that is used
    And a step that is yet to be defined

  Scenario: Multiple step definitions for a step
    Given a step with multiple definitions

  Scenario: The keyword does not scope a definition
    When the order is placed
