"""Reading the rows of an uploaded CSV or XLSX file, within bounds.

A file is streamed and read no further than the rows and columns asked for,
whatever size it declares (security review F4); an XLSX, a zip, is refused
before it is unpacked when it would unpack to too much. Unreadable files raise
a ``UserError`` in the language of ``env``.
"""

import csv
import io
import zipfile
from datetime import datetime
from itertools import islice

from odoo.exceptions import UserError

# What an XLSX may unpack to, and its number of members, by default.
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_XLSX_MEMBERS = 200
# Lines of a CSV file the separator is told from.
SNIFF_LINES = 50


def read_table(env, filename, content, max_rows, max_cols, max_unpacked=None):
    """The first ``max_rows`` rows of a CSV or XLSX file (blank ones
    included), each cut to ``max_cols`` cells. The caller refuses a file that
    reaches ``max_rows``: it may have more."""
    if (filename or "").lower().endswith(".xlsx"):
        return read_xlsx(env, content, max_rows, max_cols, max_unpacked)
    return read_csv(env, content, max_rows, max_cols)


def read_csv(env, content, max_rows, max_cols):
    """Streamed: a huge file costs no more than its first ``max_rows``."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    try:
        # The first lines tell the separator; the sniffer's cost grows with
        # the number of lines it is given.
        sample = stream.read(4096).splitlines(keepends=True)[:SNIFF_LINES]
        dialect = sniff_dialect("".join(sample))
        stream.seek(0)
        rows = csv.reader(stream, dialect)
        return [row[:max_cols] for row in islice(rows, max_rows)]
    except UnicodeDecodeError as error:
        raise UserError(env._("The CSV file must be encoded in UTF-8.")) from error
    except csv.Error as error:
        raise UserError(env._("This is not a readable CSV file.")) from error


def sniff_dialect(text):
    """Comma, semicolon or tab separated; comma when it cannot tell."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def check_xlsx_size(env, content, max_unpacked=None):
    """Refuse a zip that would unpack to more than ``max_unpacked`` bytes or
    that has too many members, before anything is unpacked. The sizes come
    from the zip's directory; zipfile never reads past them."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UserError(env._("This is not a readable XLSX file.")) from error
    if len(members) > MAX_XLSX_MEMBERS or sum(
        member.file_size for member in members
    ) > (max_unpacked or MAX_XLSX_UNPACKED):
        raise UserError(env._("This XLSX file is too large once unpacked: split it."))


def read_xlsx(env, content, max_rows, max_cols, max_unpacked=None):
    """Streamed from the first sheet; its declared ``<dimension>`` is ignored
    (openpyxl would pad every row to it). Dates come as ``YYYY-MM-DD``."""
    import openpyxl  # noqa: PLC0415 - only spreadsheets need it

    check_xlsx_size(env, content, max_unpacked)
    workbook = None
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True
        )
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=max_cols, values_only=True)
        return [
            [
                cell.strftime("%Y-%m-%d") if isinstance(cell, datetime) else cell
                for cell in row
            ]
            for row in islice(rows, max_rows)
        ]
    except Exception as error:  # noqa: BLE001 - any unreadable file is the user's
        raise UserError(env._("This is not a readable XLSX file.")) from error
    finally:
        if workbook is not None:
            workbook.close()
