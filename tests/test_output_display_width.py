"""Text tables line up as a terminal shows them: a Japanese, Chinese or Korean character takes two columns, an
accent saved decomposed (NFD, as macOS file names and some editors write it) none. Padded by ``len()``, every
row holding such a title pushed the columns after it out of line (``list``, ``matrix``, ``results``, ``search``)."""

from __future__ import annotations

import unicodedata

from conftest import GitRepo, run_cli


def _width(char: str) -> int:
    """The test's own oracle of a character's terminal columns (wcwidth's rule for the characters used here)."""
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _columns(line: str) -> list[int]:
    """The terminal column each cell of a table line starts at (cells are separated by two spaces or more)."""
    starts, column, previous = [], 0, "  "
    for char in line:
        if char != " " and previous.endswith("  "):
            starts.append(column)
        previous = (previous + char)[-2:]
        column += _width(char)
    return starts


def test_wide_and_combining_characters_take_the_columns_a_terminal_gives_them() -> None:
    from tracertm.output import display_width, pad

    assert display_width("買い物かご") == 10
    assert display_width("ＡＢ") == 4  # fullwidth forms
    assert display_width(unicodedata.normalize("NFD", "café")) == 4
    assert display_width("Größe") == 5
    assert display_width("הוספת פריט") == 10
    assert pad("買い", 6) == "買い  " and pad("買い", 6, right=True) == "  買い"


def test_a_table_of_cjk_and_decomposed_titles_lines_up() -> None:
    from tracertm.output import table

    rows = [["FEAT-1", "remboursement intégral", "draft"], ["FEAT-3", "商品を追加する", "draft"],
            ["FEAT-5", unicodedata.normalize("NFD", "élève décidé"), "approved"], ["支払い", "支払いサービス", "draft"]]
    lines = table(rows, ["id", "title", "status"]).splitlines()
    assert len({tuple(_columns(line)) for line in lines}) == 1, "\n".join(lines)


def test_clipping_counts_columns_and_keeps_a_mark_with_its_letter() -> None:
    from tracertm.output import clip, display_width

    assert clip("買い物かご買い物かご", 7) == "買い物…"
    assert display_width(clip("買い物かご買い物かご", 7)) <= 7
    nfd = unicodedata.normalize("NFD", "ééééé")
    assert clip(nfd, 5) == nfd and clip(nfd, 4) == unicodedata.normalize("NFD", "ééé") + "…"


def test_list_scenarios_of_a_japanese_feature_lines_up(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/kaimono.feature",
                   "# language: ja\n@FEAT-3\n機能: 買い物かご\n  シナリオ: 商品を追加する\n    前提 空の買い物かご\n")
    git_repo.write("features/refund.feature",
                   "# language: fr\n@FEAT-1\nFonctionnalité: Remboursement\n  Scénario: remboursement intégral\n"
                   "    Soit une commande payée\n")
    git_repo.commit("specs in two languages")
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    listed = run_cli("list", "scenarios", "--path", str(git_repo.path), "--database-url", database_url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert any("商品を追加する" in line for line in lines), listed.stdout
    # Every row's status and path start where the header's do.
    assert len({tuple(_columns(line)) for line in lines}) == 1, listed.stdout
