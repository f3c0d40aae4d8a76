"""cucumber/junit-xml-formatter (cucumber-jvm's ``junit`` plugin, cucumber-js's ``junit``) writes PENDING,
UNDEFINED, AMBIGUOUS and FAILED scenarios all as ``<failure>``: a pending step of cucumber-jvm as ``<failure
type="io.cucumber.java.PendingException">``, a pending or undefined step of cucumber-js (no exception) as an empty
``<failure/>``, its ``<system-out>`` listing each step with its status. Those are stored as pending and undefined,
as Cucumber reported them, not as failed; a real failure, and an ambiguous step, stay failed."""

from __future__ import annotations

from tracertm.results.formats import parse_report

STEPS = """<system-out><![CDATA[
Given an empty cart.........................................................passed
When I add 1 apples.........................................................{status}
Then the cart holds 1 items.................................................skipped
]]></system-out>"""

REPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="cucumber-js" time="0.01" tests="6" skipped="0" failures="5" errors="0">
<testcase classname="Cart" name="jvm pending" time="0.001">
<failure type="io.cucumber.java.PendingException" message="TODO: implement me"/>
</testcase>
<testcase classname="Cart" name="js pending" time="0.001">
<failure/>
{STEPS.format(status="pending")}
</testcase>
<testcase classname="Cart" name="js undefined" time="0.001">
<failure/>
{STEPS.format(status="undefined")}
</testcase>
<testcase classname="Cart" name="js ambiguous" time="0.001">
<failure/>
{STEPS.format(status="ambiguous")}
</testcase>
<testcase classname="Cart" name="js failed" time="0.001">
<failure type="AssertionError" message="expected 1, got 2"><![CDATA[AssertionError: expected 1, got 2]]></failure>
{STEPS.format(status="failed")}
</testcase>
<testcase classname="Cart" name="passed" time="0.001">
{STEPS.format(status="passed")}
</testcase>
</testsuite>
"""


def test_pending_and_undefined_steps_keep_their_status() -> None:
    report = parse_report("cucumber-junit.xml", REPORT.encode())
    assert {c.name: c.status for c in report.cases} == {
        "jvm pending": "pending", "js pending": "pending", "js undefined": "undefined", "js ambiguous": "failed",
        "js failed": "failed", "passed": "passed",
    }
