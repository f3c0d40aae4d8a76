"""cucumber-ruby defines steps with every Gherkin dialect's step keywords, not only the English ones: it aliases its
step DSL to each of them (``Cucumber::Glue::RegistryAndMore``, https://github.com/cucumber/cucumber-ruby, MIT), so
Brazilian teams write ``Dado(/^que …$/) do``, ``Quando``, ``Então`` (or ``Entao``), ``E``; German ones
``Angenommen``, French ones ``Soit``. tracertm read only Given/When/Then/And/But: a step file written in Portuguese
had no definitions, and every step of its features was undefined.

The step file is shaped like the public pt-BR projects' (``Dado(/^que minha conta não tem documentos$/) do``…)."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps.project import analyze

STEPS = """\
# encoding: utf-8
Dado(/^que minha conta tem (\\d+) documentos$/) do |n|
  @count = n.to_i
end

Quando 'obtenho a listagem dos documentos' do
  @documents = []
end

Então(/^a listagem deve ter (\\d+) documentos$/) do |n|
  expect(@documents.size).to eq n.to_i
end

E(/^nenhum erro$/) do
end

Angenommen('ich habe {int} Gurken') do |n|
end

Before do
end
"""

FEATURE = """\
# language: pt
Funcionalidade: Documentos

  Cenário: listar
    Dado que minha conta tem 2 documentos
    Quando obtenho a listagem dos documentos
    Então a listagem deve ter 2 documentos
    E nenhum erro
"""


def test_a_dialects_keywords_define_steps(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/documentos_steps.rb", STEPS)
    git_repo.write("features/documentos.feature", FEATURE)
    git_repo.commit("pt-BR project")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(d.line, d.kind, d.pattern, d.label) for d in report.definitions] == [
        (2, "regex", "^que minha conta tem (\\d+) documentos$", "Dado"),
        (6, "cucumber-expression", "obtenho a listagem dos documentos", "Quando"),
        (10, "regex", "^a listagem deve ter (\\d+) documentos$", "Então"),
        (14, "regex", "^nenhum erro$", "E"),
        (17, "cucumber-expression", "ich habe {int} Gurken", "Angenommen"),
    ]
    assert [(r.use.line, r.status, [d.line for d, _ in r.matches]) for r in report.results] == [
        (5, "defined", [2]), (6, "defined", [6]), (7, "defined", [10]), (8, "defined", [14])]
    out = run_cli("steps", str(git_repo.path)).stdout
    assert "Dado(/^que minha conta tem (\\d+) documentos$/)  # features/step_definitions/documentos_steps.rb:2" in out
    assert "Quando('obtenho a listagem dos documentos')  # features/step_definitions/documentos_steps.rb:6" in out
    assert "UNDEFINED STEPS[0]:" in out
    listed = json.loads(run_cli("steps", str(git_repo.path), "--format", "json").stdout)["definitions"]
    assert [d.get("label") for d in listed] == ["Dado", "Quando", "Então", "E", "Angenommen"]


def test_a_database_synced_before_reads_them_at_the_next_plain_sync(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The step file's bytes did not change: only the parsers' version (``PARSER_OUTPUT`` 25) makes the next sync
    read it again."""
    from raw_sql import set_marker, sql
    from tracertm.engine.parsed_by import PARSER_OUTPUT_KEY
    from tracertm.engine.sync import sync
    from tracertm.steps import ruby

    git_repo.write("features/step_definitions/documentos_steps.rb", STEPS)
    git_repo.write("features/documentos.feature", FEATURE)
    git_repo.commit("pt-BR project")
    with monkeypatch.context() as m:  # the parsers of version 24 knew the English keywords alone
        m.setattr(ruby, "localized_keywords", lambda: frozenset())
        assert not sync(git_repo.path, database_url=database_url).errors
    assert sql(database_url, "SELECT count(*) FROM step_definitions") == [(0,)]
    set_marker(database_url, PARSER_OUTPUT_KEY, 24)
    assert not sync(git_repo.path, database_url=database_url).errors
    assert sorted(sql(database_url, "SELECT line, usage_count FROM step_definitions")) == [
        (2, 1), (6, 1), (10, 1), (14, 1), (17, 0)]
