"""cucumber-ruby locates a step definition by its block — ``Proc#source_location``, the line of its ``do`` or ``{``
(``Cucumber::Glue::StepDefinition#location``, https://github.com/cucumber/cucumber-ruby, MIT) —, as its ``usage``
formatter and messages show it. tracertm gave the line of the keyword, above the block when the call is split over
lines (``Given(\n  /…/\n) do``, a long ``/x`` regex)."""

from __future__ import annotations

import shutil
import subprocess

from conftest import GitRepo
from tracertm.steps.project import analyze

SPLIT = """\
Given(/^one line$/) do
end

Given(
  /^a call split over lines$/
) do |x|
end

Dado(/^um padrão longo que continua
  na linha seguinte$/x) do
end

Then('braces') { |x| }
"""

# Ruby itself: each definition's line as cucumber-ruby takes it, its block's ``Proc#source_location``.
RUBY_LINES = """\
$lines = []
def self.method_missing(name, *args, &block) = ($lines << block.source_location[1])
load ARGV[0]
puts $lines.join(",")
"""


def test_a_definition_is_at_its_blocks_line(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/split_steps.rb", SPLIT)
    git_repo.commit("split calls")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    lines = [d.line for d in report.definitions]
    assert lines == [1, 6, 10, 13]
    ruby = shutil.which("ruby")
    if ruby is not None:  # the oracle, where Ruby is installed
        script = git_repo.path / "lines.rb"
        script.write_text(RUBY_LINES, encoding="utf-8")
        run = subprocess.run([ruby, str(script), str(git_repo.path / "features/step_definitions/split_steps.rb")],
                             capture_output=True, text=True, timeout=60, check=True)
        assert [int(n) for n in run.stdout.strip().split(",")] == lines
