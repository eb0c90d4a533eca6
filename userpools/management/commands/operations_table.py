"""``manage.py operations_table``: the README's table of implemented wire operations."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from config.wire.registry import services

BEGIN = "<!-- operations-table:begin -->"
END = "<!-- operations-table:end -->"


def operations_table() -> str:
    lines = [BEGIN]
    for prefix, service in services().items():
        ops = sorted(service.spec.operation_names())
        done = [op for op in ops if op in service.handlers]
        lines.append("")
        lines.append(f"**{prefix}** ({service.iam_prefix}): {len(done)} of {len(ops)} operations implemented.")
        lines.append("")
        lines.append("| operation | signed | implemented |")
        lines.append("| --- | --- | --- |")
        for op in ops:
            signed = "no" if service.spec.is_unsigned(op) else "SigV4"
            lines.append(f"| {op} | {signed} | {'yes' if op in service.handlers else '—'} |")
    lines.append(END)
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the markdown table of wire operations (README.md keeps a copy; a test compares them)."

    def handle(self, *args, **options):
        self.stdout.write(operations_table())
