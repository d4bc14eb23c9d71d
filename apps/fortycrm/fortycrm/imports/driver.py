"""The import driver: read the file, match its columns, turn cells into rows, hand batches
to the template's importer, all in one transaction (R-IMP-3..5).

Nothing is written when any row has a problem or the run is a preview (dry run): a preview
runs exactly the same code and rolls the transaction back, so it shows what the commit
will do, numbers included.
"""

from __future__ import annotations

import gc
import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from fortycrm import uploads
from fortycrm.bulk_sql import write_pipe
from fortycrm.events import event_import_finished
from fortycrm.imports import columns
from fortycrm.imports.columns import get_template
from fortycrm.imports.customer_importer import CustomerImporter
from fortycrm.imports.import_log import log_finished, log_started, progress_report
from fortycrm.imports.importer_base import Importer
from fortycrm.imports.parsing import ConvertError, FileError, convert, count_rows, german_postcode, match_headers, number_style, open_table
from fortycrm.imports.payer_importers import CostBearerImporter, CustomerCostBearerImporter, ServicePriceImporter
from fortycrm.imports.results import INSERT, UPDATE, ImportResult, Problem, Row
from fortycrm.imports.row_importers import ContactImporter, LocationImporter, MeterImporter, ReadingImporter
from fortycrm.models import ImportLog

BATCH_SIZE = 1000

IMPORTERS: dict[str, type[Importer]] = {
    columns.COMPANY_CUSTOMERS.key: CustomerImporter,
    columns.PRIVATE_CUSTOMERS.key: CustomerImporter,
    columns.CONTACTS.key: ContactImporter,
    columns.LOCATIONS.key: LocationImporter,
    columns.METERS.key: MeterImporter,
    columns.READINGS.key: ReadingImporter,
    columns.COST_BEARERS.key: CostBearerImporter,
    columns.CUSTOMER_COST_BEARERS.key: CustomerCostBearerImporter,
    columns.SERVICE_PRICES.key: ServicePriceImporter,
}


# Python's cyclic garbage collector, with its default first threshold (700 new container
# objects), walks every object surviving into the old generation — the whole of Django —
# several times during a large import: a fifth of the CPU of a preview. While an import
# runs, the first threshold is raised; the import's rows are freed by reference counting
# as before, only the searches for reference cycles run less often. (A written customer is
# such a cycle — Django's file field value points back at it — so the commit's peak memory
# grows a little: +10–20 MB at 20,000 rows, +13 MB at 100,000.)
GC_FIRST_THRESHOLD = 5_000
_gc_lock = threading.Lock()
_gc_imports = 0  # imports running in this process (threads)
_gc_saved: tuple[int, ...] = ()


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Raise the collector's first threshold to ``GC_FIRST_THRESHOLD`` while the block runs
    (also when several imports run in threads of one process); the old one comes back after
    the last. A threshold of 0 (collector switched off) or a higher one stays as it is."""
    global _gc_imports, _gc_saved
    with _gc_lock:
        if _gc_imports == 0:
            _gc_saved = gc.get_threshold()
            if 0 < _gc_saved[0] < GC_FIRST_THRESHOLD:
                gc.set_threshold(GC_FIRST_THRESHOLD, *_gc_saved[1:])
        _gc_imports += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_imports -= 1
            if _gc_imports == 0:
                gc.set_threshold(*_gc_saved)


#: batches between two young-generation passes of the collector while an import runs
GC_EVERY_BATCHES = 10


class BatchCollection:
    """No cyclic garbage collection while the batches of an import are read, checked and
    written; one young-generation pass every ``GC_EVERY_BATCHES`` batches and one at the end.

    A batch keeps its rows, model instances and prepared values alive until it is written (and
    the write pipe keeps the statements' values until it has sent them), so the collector's
    passes during a batch only walk (and promote) live objects: about a quarter of the customer
    import's CPU time, and a pass after every batch still a twentieth. Objects of the batches
    that are garbage are freed by their reference counts; the few cycles among them wait for
    the next pass. Where the collector is off already, it stays off."""

    def __init__(self) -> None:
        self.enabled = gc.isenabled()
        self.batches = 0

    def __enter__(self) -> BatchCollection:
        if self.enabled:
            gc.disable()
        return self

    def batch_done(self) -> None:
        self.batches += 1
        if self.enabled and self.batches % GC_EVERY_BATCHES == 0:
            gc.collect(0)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            gc.enable()
            gc.collect(0)


CONVERT_MEMO_MAX = 5000  # remembered conversions per column (distinct cell texts); later new texts are converted each time
# kinds whose cells mostly differ from row to row and convert cheaply: not remembered
_UNREMEMBERED = {columns.TEXT, columns.EMAIL, columns.URL}
_TEXT, _EMAIL = 1, 2
_INLINE = {columns.TEXT: _TEXT, columns.EMAIL: _EMAIL}  # kinds whose ordinary cells RowMaker converts itself


class RowMaker:
    """Cells → ``Row`` for one import: the columns' plan read once, and each column's
    conversion remembered per distinct cell text (a status "Kunde", a date, a custom-field
    choice is understood once per import, not once per row).

    A remembered conversion gives the same value or the same ``ConvertError`` message as
    ``convert``: it depends only on the column, the text and the file's number ``style``,
    all fixed for the import. Lists (tags, multiple choices) are copied for every row.
    Text, e-mail and web address columns skip the memo: their cells mostly differ and convert
    cheaply (an ordinary text cell is only stripped, an e-mail cell also loses its spaces:
    done inline; a cell with a control character or a leading apostrophe goes through
    ``convert``).
    """

    def __init__(self, by_index: dict, importer: Importer, mode: str, style: str | None = None) -> None:
        self.importer = importer
        self.style = style
        self.memo: dict[str, dict[str, tuple[bool, Any]]] = {column.key: {} for column in by_index.values()}
        # per file column: (key, column, plain text or e-mail (inline), its memo or None, mandatory here?)
        self.steps = [
            (column.key, column, _INLINE.get(column.kind, 0), self.memo[column.key] if column.kind not in _UNREMEMBERED else None,
             column.required and (mode == INSERT or column.key == "number"))
            for column in by_index.values()
        ]
        self.keys = [column.key for column in by_index.values()]
        indexes = list(by_index)
        self.pick = (lambda cells: tuple(cells[i] for i in indexes)) if len(indexes) < 2 else operator.itemgetter(*indexes)
        self.width = max(by_index, default=-1) + 1
        self.postcodes = [prefix for prefix in ("", "location_") if f"{prefix}postcode" in self.memo]

    def remember(self, memo: dict[str, tuple[bool, Any]], column, value: str) -> tuple[bool, Any]:
        """``(True, converted)`` or ``(False, message)`` for a ``str`` cell, kept in ``memo``."""
        try:
            hit = (True, convert(column, value, self.style))
        except ConvertError as exc:
            hit = (False, str(exc))
        if len(memo) < CONVERT_MEMO_MAX:
            memo[value] = hit
        return hit

    def make(self, number: int, cells: list[Any]) -> Row | None:
        if len(cells) < self.width:
            cells = [*cells, *[None] * (self.width - len(cells))]
        picked = self.pick(cells)
        for value in picked:
            if value is not None and (not isinstance(value, str) or value.strip()):
                break
        else:
            return None  # every cell empty
        raw = dict(zip(self.keys, picked))
        values: dict[str, Any] = {}
        row = Row(number=number, raw=raw, values=values)
        style = self.style
        for value, (key, column, text, memo, required) in zip(picked, self.steps):
            failed = None
            if type(value) is str and text and value.isprintable() and value[:1] != "'":
                value = value.strip() or None  # what convert gives a plain text cell …
                if text == _EMAIL and value:
                    value = value.replace(" ", "")  # … and an e-mail cell
            elif type(value) is str and memo is not None:
                hit = memo.get(value) or self.remember(memo, column, value)
                if hit[0]:
                    value = hit[1]
                    if type(value) is list:
                        value = list(value)  # tags, multiple choices: never shared between rows
                else:
                    failed = hit[1]
            else:
                try:
                    value = convert(column, value, style)
                except ConvertError as exc:
                    failed = str(exc)
            if failed is not None:
                values[key] = None
                row.failed_keys.add(key)
                self.importer.problem(row, key, failed)
                continue
            values[key] = value
            if required and (value is None or value == []):
                row.failed_keys.add(key)
                self.importer.problem(row, key, _("The mandatory column “%(name)s” is empty. Fill it in.") % {"name": self.importer.column_label(key)})
        for prefix in self.postcodes:
            if values.get(f"{prefix}postcode"):
                values[f"{prefix}postcode"] = german_postcode(values[f"{prefix}postcode"], values.get(f"{prefix}country"))
        return row


def import_file(
    *,
    template: str,
    file: IO[bytes],
    file_name: str = "",
    mode: str = INSERT,
    dry_run: bool = False,
    user=None,
    allow_duplicates: bool = False,
    progress: Callable[[int, int], None] | None = None,
    total_rows: int = 0,
) -> ImportResult:
    """Import a CSV/XLSX file all or nothing. Returns what was (or, as preview, would be) done.

    Nothing is written when any row has a problem or ``dry_run`` is set.
    """
    tpl = get_template(template)
    result = ImportResult(template=tpl.key, mode=mode, dry_run=dry_run, total_rows=total_rows)
    if mode not in (INSERT, UPDATE):
        result.add(Problem(row=1, column="", value=mode, message=_("Unknown mode “%(mode)s”. Use insert or update.") % {"mode": mode}))
        return result
    try:
        table = open_table(file, file_name)
    except FileError as exc:
        result.add(Problem(row=exc.row, column="", value="", message=str(exc)))
        return result
    match = match_headers(tpl, table.headers)
    for problem in match.problems:
        result.add(problem)
    style = number_style(table, match)
    keys = {c.key for c in match.by_index.values()}
    if mode == UPDATE and not tpl.is_customer:
        result.add(Problem(row=1, column="", value="", message=_("The mode “update existing” is only available for customers. Import these rows in the mode “insert new”.")))
    elif mode == UPDATE and "number" not in keys:
        result.add(Problem(row=1, column=str(columns.CUSTOMER_NUMBER.label), value="", message=_("The mode “update existing” needs the column “Customer number”.")))
    if result.error_count:
        return result
    labels = {column.key: str(table.headers[index]).strip() for index, column in match.by_index.items()}
    importer = IMPORTERS[tpl.key](template=tpl, mode=mode, user=user, allow_duplicates=allow_duplicates, result=result, labels=labels, file_name=file_name,
                                  letters=match.letters, dry_run=dry_run)
    maker = RowMaker(match.by_index, importer, mode, style)
    with fewer_gc_passes(), transaction.atomic(), write_pipe(enabled=not dry_run):
        batch: list[Row] = []
        with BatchCollection() as collection:
            for number, cells in table.rows:
                row = maker.make(number, cells)
                if row is None:
                    continue
                batch.append(row)
                if len(batch) < BATCH_SIZE:
                    continue
                importer.process(batch)
                collection.batch_done()
                result.processed += len(batch)
                batch = []
                if progress:
                    progress(result.processed, max(total_rows, result.processed))
            if batch:
                importer.process(batch)
                result.processed += len(batch)
        importer.finish()
        if table.error:  # a row that cannot be read ends the file: nothing is written
            result.add(Problem(row=table.error.row, column="", value="", message=str(table.error)))
        elif result.processed == 0:
            result.add(Problem(row=2, column="", value="", message=_("The file has no data rows below the column names. Add one row per record.")))
        if result.error_count or dry_run:
            transaction.set_rollback(True)
    result.total_rows = result.processed
    result.errors.sort(key=lambda p: p.row)
    result.warnings.sort(key=lambda p: p.row)
    if progress:
        progress(result.processed, result.processed)
    if result.error_count:
        result.created = result.updated = result.unchanged = 0
    return result


def import_run(
    *, log: ImportLog, dry_run: bool, allow_duplicates: bool | None = None, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Run the import of ``log.file`` and record the outcome on the log; ``progress(done, total)``
    is called after every batch besides the log's own progress (the shell's progress bar).

    ``allow_duplicates`` None: as chosen at upload (``log.allow_duplicates``); a value given
    here is stored on the log, so a later commit of the preview keeps the choice.
    """
    if allow_duplicates is None:
        allow_duplicates = log.allow_duplicates
    elif allow_duplicates != log.allow_duplicates:
        log.allow_duplicates = allow_duplicates
        log.save(update_fields=["allow_duplicates"])
    with log.file.open("rb") as f:
        try:
            total_rows = count_rows(f, log.file_name)
        except FileError:
            total_rows = 0
        f.seek(0)
        log_started(log, dry_run=dry_run, total_rows=total_rows)
        result = import_file(
            template=log.template,
            file=f,
            file_name=log.file_name,
            mode=log.mode,
            dry_run=dry_run,
            user=log.user,
            allow_duplicates=allow_duplicates,
            progress=lambda done, total: (progress_report(log.pk, done), progress and progress(done, total)),
            total_rows=total_rows,
        )
    log_finished(log, result, dry_run=dry_run)
    if log.state == ImportLog.State.DONE:
        event_import_finished(log)
    uploads.import_file_finished(log)  # a committed import keeps its log, not the customer list
    return result
