"""Reading the CSV files shops bring (customers, powders...), the same way
for every import: no database needed.

- encoding: UTF-8 with or without BOM, else Windows-1252 (what Excel
  writes in France);
- separator: the one of `SEPARATORS` that splits the header into the most
  cells (comma when equal);
- columns: recognised by their header, French or English, ignoring case,
  accents, spaces and punctuation (`header_key`); the first column of a
  field wins, other and unknown columns are listed and ignored;
- blank lines and lines whose cells are all empty are skipped; every row
  keeps its physical line number for the rejects file.

Errors are raised through the `error(kind, **variables)` callable each
importer passes (its own UserError with its own messages), `kind` being
'empty', 'binary', 'encoding' or 'no_<field>_column'.
"""
import csv
import io
import re
import unicodedata
from collections import namedtuple

SEPARATORS = ',;'
# Control characters other than tab, newline and carriage return: a binary
# file or UTF-16 read as 8-bit text.
_BINARY = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')

Row = namedtuple('Row', ['line', 'cells', 'values'])
Row.__doc__ = """A data line: `line` is its physical line number in the file
(header = 1), `cells` the original cells, `values` {field: stripped text}."""


class ParsedFile(namedtuple('ParsedFile', [
                'encoding', 'delimiter', 'header', 'columns',
                'unknown_columns', 'rows'])):
    """What `read_rows` understood of a file.

    encoding: 'utf-8-sig', 'utf-8' or 'cp1252'; delimiter: ',' or ';';
    header: the header cells as written; columns: {field: column index};
    unknown_columns: header cells that were ignored; rows: [Row].
    """
    __slots__ = ()


def header_key(text):
    "Return `text` in lower case, without accents, spaces or punctuation."
    text = unicodedata.normalize('NFKD', text or '')
    return ''.join(c for c in text.casefold() if c.isalnum())


def header_fields(headers):
    """Return {header_key: field} of `headers` ({field: [accepted header
    texts]}), for `read_rows`."""
    return {header_key(h): f for f, texts in headers.items() for h in texts}


def decode(data, error):
    """Return (text, encoding) of the bytes `data` of a CSV file.

    Raises error('empty') for a file without text, error('binary') for NUL
    or control bytes (binary files, UTF-16), error('encoding') for bytes
    that are neither UTF-8 nor Windows-1252."""
    if data.startswith(b'\xef\xbb\xbf'):
        encodings = ['utf-8-sig']
    else:
        encodings = ['utf-8', 'cp1252']
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise error('binary' if b'\x00' in data else 'encoding')
    if not text.strip():
        raise error('empty')
    if _BINARY.search(text):
        raise error('binary')
    return text, encoding


def read_rows(data, fields, required, error):
    """Parse the bytes `data` of a CSV file into a ParsedFile.

    fields: {header_key: field} (see `header_fields`); required: the field
    without which nothing can be imported. Raises (see `decode`) and
    error('no_<required>_column', columns=<the header cells>)."""
    text, encoding = decode(data, error)
    first_line = text.lstrip('\r\n').splitlines()[0]
    delimiter = max(SEPARATORS, key=lambda d: len(
            next(csv.reader([first_line], delimiter=d))))
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter)
    header, header_line = [], 0
    for header in reader:
        if any(c.strip() for c in header):
            header_line = reader.line_num
            break
    columns, unknown = {}, []
    for index, cell in enumerate(header):
        if not cell.strip():
            continue
        field = fields.get(header_key(cell))
        if field and field not in columns:
            columns[field] = index
        else:
            unknown.append(cell.strip())
    if required not in columns:
        raise error('no_%s_column' % required, columns=', '.join(
                c.strip() for c in header if c.strip()))
    rows, line = [], header_line
    for cells in reader:
        start, line = line + 1, reader.line_num
        values = {f: (cells[i] if i < len(cells) else '').strip()
            for f, i in columns.items()}
        if any(c.strip() for c in cells):
            rows.append(Row(start, cells, values))
    return ParsedFile(encoding, delimiter, header, columns, unknown, rows)


def rejects_csv(parsed, rejects, line_label, reason_label):
    """Return the bytes of a CSV of the refused lines: `line_label`,
    `reason_label`, then the original columns, with the imported file's
    separator, in UTF-8 with a BOM (Excel reads it).

    rejects: [(line number, reason text, Row)]."""
    output = io.StringIO(newline='')
    writer = csv.writer(output, delimiter=parsed.delimiter)
    writer.writerow([line_label, reason_label] + list(parsed.header))
    for line, reason, row in rejects:
        writer.writerow([line, reason] + list(row.cells))
    return output.getvalue().encode('utf-8-sig')
