"""README.md stays true: its operations table is the registry's."""

from pathlib import Path

from userpools.management.commands.operations_table import BEGIN, END, operations_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_operations_table_matches_registry():
    text = README.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == operations_table(), "run `manage.py operations_table` and paste it into README.md"


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
