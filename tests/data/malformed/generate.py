#!/usr/bin/env python3
"""Writes the held-back malformed inputs of tests/malformed.rs (see README.md here).

Run once by hand (python3 generate.py, from this folder); the files are committed and the test reads them,
it never runs this. Needs openpyxl, pyarrow and msoffcrypto-tool. Every input is made the way a real tool or
a real person breaks the format, from knowledge of the format (not of qsa's readers).
"""
import io, json, os, shutil, struct, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
os.chdir(HERE)

def w(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)

APP = """Section Application;

Sales:
LOAD * INLINE [
REGION, Amount
EU, 100
US, 200
];
"""

def driver(fmt):
    # A Section Access table loaded from the file named by --var vFile: the bad file reaches access, so
    # qsa must refuse (exit 2) rather than answer for a table it could not read.
    return f"""// Driver of tests/malformed.rs: the security table comes from $(vFile).
Section Access;
SA:
LOAD ACCESS, USERID, REGION
FROM [$(vFile)]
({fmt});

{APP}"""

ROWS = [["ACCESS", "USERID", "REGION"], ["ADMIN", "ALICE", "*"], ["USER", "BOB", "EU"]]

# ---------------------------------------------------------------- excel
E = "excel/"
w(E + "sa_ooxml.qvs", driver("ooxml, embedded labels, table is Sheet1"))
w(E + "sa_missing_sheet.qvs", driver("ooxml, embedded labels, table is Security"))
w(E + "sa_biff.qvs", driver("biff, embedded labels, table is Sheet1$"))

import openpyxl
def good_xlsx(rows=ROWS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for r in rows:
        ws.append(r)
    b = io.BytesIO()
    wb.save(b)
    return b.getvalue()

def zparts(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]

def zbuild(parts):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts:
            z.writestr(n, d)
    return b.getvalue()

def edit(data, name, fn=None, drop=False):
    out = []
    for n, d in zparts(data):
        if n == name:
            if drop:
                continue
            d = fn(d)
        out.append((n, d))
    return zbuild(out)

GOOD = good_xlsx()
w(E + "valid.xlsx", GOOD)
w(E + "no_content_types.xlsx", edit(GOOD, "[Content_Types].xml", drop=True))
w(E + "no_workbook.xlsx", edit(GOOD, "xl/workbook.xml", drop=True))
w(E + "sheet_truncated.xlsx", edit(GOOD, "xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2]))
# openpyxl writes inline strings; rewrite the sheet with shared strings, one index out of range.
SST = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">'
       b'<si><t>ACCESS</t></si><si><t>USERID</t></si><si><t>REGION</t></si></sst>')
def sheet(rows_xml, dim="A1:C3"):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dim}"/><sheetData>{rows_xml}</sheetData></worksheet>').encode()
def c(ref, v, t="inlineStr"):
    if t == "inlineStr":
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
    if t == "s":
        return f'<c r="{ref}" t="s"><v>{v}</v></c>'
    return f'<c r="{ref}" t="{t}"><v>{v}</v></c>'
HEAD_S = f'<row r="1">{c("A1",0,"s")}{c("B1",1,"s")}{c("C1",2,"s")}</row>'
def body(extra_rows):
    return HEAD_S + f'<row r="2">{c("A2","ADMIN")}{c("B2","ALICE")}{c("C2","*")}</row>' + extra_rows
def with_sst(sheet_xml, sst=SST):
    parts = zparts(GOOD)
    out = []
    for n, d in parts:
        if n == "xl/worksheets/sheet1.xml":
            d = sheet_xml
        if n == "[Content_Types].xml" and b"sharedStrings" not in d:
            d = d.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        if n == "xl/_rels/workbook.xml.rels" and b"sharedStrings" not in d:
            d = d.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        out.append((n, d))
    if sst is not None:
        out.append(("xl/sharedStrings.xml", sst))
    return zbuild(out)
ROW3 = f'<row r="3">{c("A3","USER")}{c("B3","BOB")}{c("C3","EU")}</row>'
w(E + "sst_valid.xlsx", with_sst(sheet(body(ROW3))))
w(E + "sst_index_out_of_range.xlsx",
  with_sst(sheet(body(f'<row r="3">{c("A3","USER")}{c("B3",99,"s")}{c("C3","EU")}</row>'))))
w(E + "sst_part_missing.xlsx", with_sst(sheet(body(ROW3)), sst=None))
w(E + "row_past_excel_limit.xlsx",
  with_sst(sheet(body(f'<row r="1048577">{c("A1048577","USER")}{c("B1048577","BOB")}{c("C1048577","EU")}</row>'), "A1:C1048577")))
w(E + "column_past_xfd.xlsx",
  with_sst(sheet(body(f'<row r="3">{c("A3","USER")}{c("B3","BOB")}{c("C3","EU")}{c("XFE3","X")}</row>'))))
w(E + "number_cell_not_a_number.xlsx",
  with_sst(sheet(body(f'<row r="3">{c("A3","USER")}{c("B3","BOB")}{c("C3","not-a-number","n")}</row>'))))
w(E + "xml_entity_bomb.xlsx", with_sst(
    ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
     + "".join(f'<!ENTITY {chr(98+i)} "' + ("&" + chr(97+i) + ";") * 10 + '">' for i in range(9))
     + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
     + HEAD_S + '<row r="2"><c r="A2" t="inlineStr"><is><t>ADMIN</t></is></c>'
     '<c r="B2" t="inlineStr"><is><t>&j;</t></is></c><c r="C2" t="inlineStr"><is><t>*</t></is></c></row>'
     '</sheetData></worksheet>').encode()))
w(E + "xml_external_entity.xlsx", with_sst(
    ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
     '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
     + HEAD_S + '<row r="2"><c r="A2" t="inlineStr"><is><t>ADMIN</t></is></c>'
     '<c r="B2" t="inlineStr"><is><t>&x;</t></is></c><c r="C2" t="inlineStr"><is><t>*</t></is></c></row>'
     '</sheetData></worksheet>').encode()))
# The workbook's relationship points the sheet outside the package root.
w(E + "sheet_target_traversal.xlsx", edit(GOOD, "xl/_rels/workbook.xml.rels",
  lambda d: d.replace(b'Target="/xl/worksheets/sheet1.xml"', b'Target="../../../../etc/passwd"')
                    .replace(b'Target="worksheets/sheet1.xml"', b'Target="../../../../etc/passwd"')))
# A zip whose only sheet entry is stored under a traversal name (zip-slip), the rels pointing to it.
w(E + "zip_slip_entry.xlsx", zbuild(
    [(("../../evil/sheet1.xml" if n == "xl/worksheets/sheet1.xml" else n),
      (d.replace(b'"/xl/worksheets/sheet1.xml"', b'"/../../evil/sheet1.xml"')
        .replace(b'"worksheets/sheet1.xml"', b'"../../../evil/sheet1.xml"')))
     for n, d in zparts(GOOD)]))
w(E + "rel_id_dangling.xlsx", edit(GOOD, "xl/workbook.xml", lambda d: d.replace(b'r:id="rId1"', b'r:id="rId42"')))
w(E + "empty_zip.xlsx", zbuild([]))
# Excel exports from web apps: "report.xls" that is CSV or an HTML table.
w(E + "xls_really_csv.xls", "ACCESS,USERID,REGION\r\nADMIN,ALICE,*\r\nUSER,BOB,EU\r\n")
w(E + "xls_really_html.xls",
  '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head><body><table>'
  "<tr><td>ACCESS</td><td>USERID</td><td>REGION</td></tr><tr><td>ADMIN</td><td>ALICE</td><td>*</td></tr>"
  "<tr><td>USER</td><td>BOB</td><td>EU</td></tr></table></body></html>\r\n")
w(E + "xlsx_really_csv.xlsx", "ACCESS,USERID,REGION\nADMIN,ALICE,*\n")
# .xlsb: an OOXML zip whose parts are binary (BIFF12), loaded as ooxml.
w(E + "binary_workbook.xlsb", zbuild([
    ("[Content_Types].xml", b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'),
    ("_rels/.rels", b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>'),
    ("xl/workbook.bin", bytes([0x83, 0x01, 0x00, 0x80, 0x01, 0x00]) + b"\x9c\x01\x10Sheet1"),
    ("xl/worksheets/sheet1.bin", bytes([0x81, 0x01, 0x00, 0x91, 0x01, 0x00, 0x00, 0x01, 0x18]) + b"ACCESS")]))
# A password-protected workbook: Excel writes an OLE compound file (EncryptionInfo + EncryptedPackage).
import msoffcrypto
from msoffcrypto.format.ooxml import OOXMLFile
enc = io.BytesIO()
OOXMLFile(io.BytesIO(GOOD)).encrypt("secret", enc)
w(E + "password_protected.xlsx", enc.getvalue())
# Merged header cells (A1:B1 "ACCESS / USERID" as one cell; B1 is empty).
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Sheet1"
ws.append(["ACCESS", None, "REGION"]); ws.append(["ADMIN", "ALICE", "*"]); ws.append(["USER", "BOB", "EU"])
ws.merge_cells("A1:B1")
b = io.BytesIO(); wb.save(b); w(E + "merged_header.xlsx", b.getvalue())
# Formula cells with no cached value (what openpyxl and many generators write): USERID is =UPPER("bob").
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Sheet1"
for r in ROWS[:2]:
    ws.append(r)
ws.append(["USER", '=UPPER("bob")', "EU"])
b = io.BytesIO(); wb.save(b); w(E + "formula_no_cached_value.xlsx", b.getvalue())
# A real old BIFF8 header (OLE magic) cut after 512 bytes.
w(E + "ole_truncated.xls", bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\x00" * 488)

# ---------------------------------------------------------------- qvd
Q = "qvd/"
w(Q + "sa_qvd.qvs", driver("qvd"))

def qvd(fields=None, records=None, nrec=2, rbs=1, rec_offset=None, rec_length=None, terminator=b"\r\n\x00",
        syms_override=None, doctype="", tablename="SA"):
    # fields: list of (name, symbols, bitwidth, bias, bitoffset); symbols as bytes already encoded.
    if fields is None:
        fields = [("ACCESS", [b"ADMIN", b"USER"], 1, 0, 0), ("USERID", [b"ALICE", b"BOB"], 1, 0, 1),
                  ("REGION", [b"*", b"EU"], 1, 0, 2)]
    sym = b""
    heads = []
    for name, syms, bw, bias, bo in fields:
        blob = b"".join(b"\x04" + s + b"\x00" for s in syms)
        off = len(sym)
        sym += blob
        heads.append((name, bo, bw, bias, len(syms), off, len(blob)))
    if syms_override is not None:
        sym = syms_override(sym)
    if records is None:
        records = bytes([0b000, 0b111])
    fh = "".join(
        f"<QvdFieldHeader><FieldName>{n}</FieldName><BitOffset>{bo}</BitOffset><BitWidth>{bw}</BitWidth>"
        f"<Bias>{bias}</Bias><NumberFormat><Type>UNKNOWN</Type><nDec>0</nDec><UseThou>0</UseThou><Fmt></Fmt>"
        f"<Dec></Dec><Thou></Thou></NumberFormat><NoOfSymbols>{ns}</NoOfSymbols><Offset>{off}</Offset>"
        f"<Length>{ln}</Length><Tags/></QvdFieldHeader>" for n, bo, bw, bias, ns, off, ln in heads)
    ro = len(sym) if rec_offset is None else rec_offset
    rl = len(records) if rec_length is None else rec_length
    x = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n{doctype}<QvdTableHeader>'
         f"<TableName>{tablename}</TableName><Fields>{fh}</Fields><Compression></Compression>"
         f"<RecordByteSize>{rbs}</RecordByteSize><NoOfRecords>{nrec}</NoOfRecords><Offset>{ro}</Offset>"
         f"<Length>{rl}</Length><Lineage/><Comment></Comment></QvdTableHeader>")
    return x.encode() + terminator + sym + records

w(Q + "valid.qvd", qvd())
w(Q + "records_count_lies.qvd", qvd(nrec=1000))
w(Q + "record_byte_size_zero.qvd", qvd(rbs=0))
w(Q + "record_byte_size_lies.qvd", qvd(rbs=7))
w(Q + "offset_past_end.qvd", qvd(rec_offset=1 << 40))
w(Q + "length_lies.qvd", qvd(rec_length=1 << 33))
F3 = lambda bw0=1, bias0=0: [("ACCESS", [b"ADMIN", b"USER"], bw0, bias0, 0), ("USERID", [b"ALICE", b"BOB"], 1, 0, 1),
                            ("REGION", [b"*", b"EU"], 1, 0, 2)]
w(Q + "symbol_table_cut.qvd", qvd(syms_override=lambda s: s[:-3], rec_offset=None))
w(Q + "bit_width_64.qvd", qvd(fields=[("ACCESS", [b"ADMIN", b"USER"], 64, 0, 0), ("USERID", [b"ALICE", b"BOB"], 1, 0, 1),
                                      ("REGION", [b"*", b"EU"], 1, 0, 2)]))
w(Q + "bit_width_0_two_symbols.qvd", qvd(fields=[("ACCESS", [b"ADMIN", b"USER"], 0, 0, 0), ("USERID", [b"ALICE", b"BOB"], 1, 0, 1),
                                      ("REGION", [b"*", b"EU"], 1, 0, 2)]))
w(Q + "bit_offset_past_record.qvd", qvd(fields=[("ACCESS", [b"ADMIN", b"USER"], 1, 0, 0), ("USERID", [b"ALICE", b"BOB"], 1, 0, 1),
                                      ("REGION", [b"*", b"EU"], 1, 0, 12)]))
w(Q + "symbol_index_out_of_range.qvd", qvd(fields=[("ACCESS", [b"ADMIN", b"USER"], 2, 0, 0), ("USERID", [b"ALICE", b"BOB"], 1, 0, 2),
                                      ("REGION", [b"*", b"EU"], 1, 0, 3)], records=bytes([0b0000, 0b1101])))
w(Q + "no_of_symbols_lies.qvd", qvd(syms_override=None).replace(b"<NoOfSymbols>2</NoOfSymbols>", b"<NoOfSymbols>5</NoOfSymbols>", 1))
w(Q + "no_header_terminator.qvd", qvd(terminator=b""))
w(Q + "unknown_symbol_type.qvd", qvd(syms_override=lambda s: b"\x09" + s[1:]))
w(Q + "header_xml_unclosed.qvd", qvd().replace(b"</QvdTableHeader>", b"</QvdTableHead"))
w(Q + "header_external_entity.qvd", qvd(doctype='<!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/hostname">]>', tablename="&x;"))
w(Q + "negative_record_count.qvd", qvd(nrec=-1))
w(Q + "qvd_really_zip.qvd", zbuild([("SA.qvd", qvd())]))
w(Q + "header_only.qvd", qvd().split(b"\r\n\x00")[0])

# ---------------------------------------------------------------- parquet
P = "parquet/"
w(P + "sa_parquet.qvs", driver("parquet"))
import pyarrow as pa, pyarrow.parquet as pq, decimal, datetime
def pqbytes(table, **kw):
    b = io.BytesIO(); pq.write_table(table, b, **kw); return b.getvalue()
T = pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": ["ALICE", "BOB"], "REGION": ["*", "EU"]})
PG = pqbytes(T, compression="none")
w(P + "valid.parquet", PG)
w(P + "truncated_half.parquet", PG[: len(PG) // 2])
flen = struct.unpack("<I", PG[-8:-4])[0]
w(P + "footer_length_flipped.parquet", PG[:-8] + struct.pack("<I", flen ^ 0x7F000000) + b"PAR1")
w(P + "footer_length_too_small.parquet", PG[:-8] + struct.pack("<I", 3) + b"PAR1")
w(P + "end_magic_missing.parquet", PG[:-4] + b"PAR0")
w(P + "only_magic.parquet", b"PAR1PAR1")
# The first page header (thrift) right after the magic, overwritten.
w(P + "page_header_garbage.parquet", PG[:4] + b"\xff" * 24 + PG[28:])
w(P + "userid_list.parquet", pqbytes(pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": [["ALICE"], ["BOB", "CAROL"]], "REGION": ["*", "EU"]})))
w(P + "userid_struct.parquet", pqbytes(pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": [{"id": "ALICE"}, {"id": "BOB"}], "REGION": ["*", "EU"]})))
w(P + "userid_map.parquet", pqbytes(pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": pa.array([[("k", "ALICE")], [("k", "BOB")]], type=pa.map_(pa.string(), pa.string())), "REGION": ["*", "EU"]})))
w(P + "region_decimal.parquet", pqbytes(pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": ["ALICE", "BOB"], "REGION": pa.array([decimal.Decimal("1.50"), decimal.Decimal("2.25")], type=pa.decimal128(10, 2))})))
w(P + "region_timestamp_tz.parquet", pqbytes(pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": ["ALICE", "BOB"], "REGION": pa.array([datetime.datetime(2024, 1, 1, 12), datetime.datetime(2024, 6, 1, 12)], type=pa.timestamp("us", tz="Europe/Berlin"))})))
w(P + "region_int96.parquet", pqbytes(pa.table({"ACCESS": ["ADMIN", "USER"], "USERID": ["ALICE", "BOB"], "REGION": pa.array([datetime.datetime(2024, 1, 1, 12), datetime.datetime(2024, 6, 1, 12)], type=pa.timestamp("ns"))}), use_deprecated_int96_timestamps=True))
b = io.BytesIO()
with pq.ParquetWriter(b, T.schema) as pw:
    pass
w(P + "zero_row_groups.parquet", b.getvalue())
w(P + "parquet_really_csv.parquet", "ACCESS,USERID,REGION\nADMIN,ALICE,*\n")
w(P + "access_column_missing.parquet", pqbytes(pa.table({"USERID": ["ALICE", "BOB"], "REGION": ["*", "EU"]})))

# ---------------------------------------------------------------- delimited text
X = "text/"
w(X + "sa_csv.qvs", driver("txt, utf8, embedded labels, delimiter is ',', msq"))
w(X + "valid.csv", "ACCESS,USERID,REGION\r\nADMIN,ALICE,*\r\nUSER,BOB,EU\r\n")
w(X + "mixed_line_endings.csv", "ACCESS,USERID,REGION\r\nADMIN,ALICE,*\nUSER,BOB,EU\rUSER,CAROL,US\r\n")
w(X + "quote_never_closed.csv", 'ACCESS,USERID,REGION\r\nADMIN,"ALICE,*\r\nUSER,BOB,EU\r\n')
w(X + "empty_header_field.csv", "ACCESS,,REGION\r\nADMIN,ALICE,*\r\nUSER,BOB,EU\r\n")
w(X + "more_fields_than_header.csv", "ACCESS,USERID,REGION\r\nADMIN,ALICE,*,EXTRA\r\nUSER,BOB,EU\r\n")
w(X + "fewer_fields_than_header.csv", "ACCESS,USERID,REGION\r\nADMIN,ALICE\r\nUSER,BOB,EU\r\n")
w(X + "utf16le_no_bom.csv", "ACCESS,USERID,REGION\r\nADMIN,ALICE,*\r\nUSER,BOB,EU\r\n".encode("utf-16-le"))
w(X + "cp1252_declared_utf8.csv", "ACCESS,USERID,REGION\r\nADMIN,ALICE,*\r\nUSER,ZOË,EU\r\n".encode("cp1252"))
w(X + "header_only.csv", "ACCESS,USERID,REGION\r\n")
w(X + "semicolon_delimited.csv", "ACCESS;USERID;REGION\r\nADMIN;ALICE;*\r\nUSER;BOB;EU\r\n")
w(X + "xlsx_loaded_as_txt.csv", GOOD)
w(X + "header_quoted_newline.csv", '"ACC\r\nESS",USERID,REGION\r\nADMIN,ALICE,*\r\n')
w(X + "nul_in_header.csv", b"ACC\x00ESS,USERID,REGION\r\nADMIN,ALICE,*\r\n")
w(X + "duplicate_header.csv", "ACCESS,USERID,USERID\r\nADMIN,ALICE,*\r\n")
w(X + "excel_sep_line.csv", "sep=,\r\nACCESS,USERID,REGION\r\nADMIN,ALICE,*\r\n")

# ---------------------------------------------------------------- scripts
S = "script/"
SA_INLINE = """Section Access;
SA:
LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ALICE, *
USER, BOB, EU
];
"""
w(S + "section_access_never_left.qvs", SA_INLINE + "\nSales:\nLOAD * INLINE [\nREGION, Amount\nEU, 100\n];\n")
w(S + "block_comment_unterminated.qvs", "/* security starts here\n" + SA_INLINE + APP)
w(S + "dollar_never_closed.qvs", "SET vRegion = 'EU';\n" + SA_INLINE.replace("EU\n]", "$(vRegion\n]") + APP)
w(S + "include_missing.qvs", "$(Include=security_rows.qvs);\n" + SA_INLINE + APP)
w(S + "must_include_missing.qvs", "$(Must_Include=security_rows.qvs);\n" + SA_INLINE + APP)
w(S + "binary.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256)))
w(S + "must_include_binary.qvs", "Section Access;\n$(Must_Include=binary.png);\n" + APP)
w(S + "inline_bracket_unclosed.qvs", SA_INLINE.replace("];\n", "") + APP.replace("];\n", ""))
w(S + "sub_without_end.qvs", "SUB LoadSecurity\n" + SA_INLINE + "\nCALL LoadSecurity;\n" + APP)
w(S + "if_without_end.qvs", "IF 1 = 1 THEN\n" + SA_INLINE + APP)
w(S + "for_without_next.qvs", "FOR i = 1 TO 2\n" + SA_INLINE + APP)
w(S + "do_without_loop.qvs", "DO WHILE 1 = 0\n" + SA_INLINE + APP)
w(S + "bom_in_the_middle.qvs", "\ufeff" + SA_INLINE.replace("USER, BOB", "USER, \ufeffBOB").replace("LOAD *", "LO\ufeffAD *") + APP)
w(S + "qvf_renamed.qvs", b"\x00\x00\x00\x00QVF" + bytes(range(256)) * 4)
w(S + "qvw_renamed.qvs", b"\x80\x04\x95" + b"\x00\xff\xfe" * 300 + b"\x01QlikView")
w(S + "utf16le_no_bom.qvs", (SA_INLINE + APP).encode("utf-16-le"))
w(S + "set_quote_unclosed.qvs", "SET vUser = 'ALICE;\n" + SA_INLINE + APP)
w(S + "call_undefined_sub.qvs", "CALL LoadSecurity;\n" + APP)
w(S + "nested_parens.qvs", "LET v = " + "(" * 5000 + "1" + ")" * 5000 + ";\n" + SA_INLINE + APP)
w(S + "end_sub_without_sub.qvs", SA_INLINE + "END SUB\n" + APP)
w(S + "section_keyword_typo.qvs", SA_INLINE.replace("Section Access;", "Section Acess;") + APP)
w(S + "inline_header_only_brackets.qvs", "Section Access;\nSA:\nLOAD * INLINE [ ];\n" + APP)

# ---------------------------------------------------------------- directory exports (--directory / --groups)
D = "directory/"
w(D + "sa.qvs", "SET QlikCloudGroupMode=0;\n" + SA_INLINE.replace("ACCESS, USERID, REGION", "ACCESS, USERID, GROUP, REGION")
  .replace("ADMIN, ALICE, *", "ADMIN, ALICE, *, *").replace("USER, BOB, EU", "USER, *, FINANCE, EU") + APP)
U = {"id": "65f1c0ffee0000000000a001", "tenantId": "T", "subject": "ALICE", "name": "Alice",
     "email": "alice@example.org", "status": "active", "assignedRoles": [],
     "assignedGroups": [{"id": "66aa00000000000000000b01", "name": "FINANCE", "providerType": "idp"}]}
U2 = dict(U, id="65f1c0ffee0000000000a002", subject="BOB", name="Bob", email="bob@example.org")
w(D + "valid_users.json", json.dumps([U, U2], indent=2))
w(D + "page_data_null.json", json.dumps({"data": None, "links": {"self": {"href": "https://t.eu.qlikcloud.com/api/v1/users"}}}))
w(D + "users_without_id_or_subject.json", json.dumps([{k: v for k, v in U.items() if k not in ("id", "subject")}, U2], indent=2))
w(D + "assigned_groups_string.json", json.dumps([dict(U, assignedGroups="FINANCE"), U2], indent=2))
w(D + "subject_number.json", json.dumps([dict(U, subject=12345), U2], indent=2))
w(D + "json_lines.json", json.dumps(U) + "\n" + json.dumps(U2) + "\n")
w(D + "html_error_page.json", "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1></body></html>\n")
w(D + "api_error_object.json", json.dumps({"errors": [{"code": "HTTP-401", "title": "Unauthorized", "status": "401"}], "traceId": "0000abcd"}))
w(D + "empty_array.json", "[]\n")
w(D + "truncated_export.json", json.dumps([U, U2], indent=2)[: len(json.dumps([U, U2], indent=2)) // 2])
w(D + "null_entry.json", json.dumps([U, None, U2]))
w(D + "lone_surrogate.json", json.dumps([U, U2]).replace('"BOB"', '"\\ud800BOB"'))
w(D + "simple_groups_as_string.json", json.dumps({"users": [{"subject": "ALICE", "idp_groups": "FINANCE"}]}))
w(D + "users_wrong_header.csv", "user,mail,groups\nALICE,alice@example.org,FINANCE\n")
w(D + "users_csv_unclosed_quote.csv", 'subject,email,name,idp_groups,custom_groups\nALICE,alice@example.org,"Alice,FINANCE,\nBOB,bob@example.org,Bob,FINANCE,\n')
w(D + "groups_wrapped_object.json", json.dumps({"groups": [{"id": "66aa00000000000000000b01", "name": "FINANCE", "providerType": "idp"}]}))
w(D + "nesting_bomb.json", "[" * 100000 + "]" * 100000)
w(D + "status_number.json", json.dumps([dict(U, status=1), U2], indent=2))

# ---------------------------------------------------------------- tenant exports (--tenant DIR --app Budget)
B = "../../../fixtures/tenant/examples/budget"
def tenant(case, fn):
    d = "tenant/" + case
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(B, d)
    fn(d)
def put(name, text):
    return lambda d: w(os.path.join(d, name), text)
def rm(name):
    return lambda d: os.remove(os.path.join(d, name))
def jedit(name, f):
    def g(d):
        p = os.path.join(d, name)
        w(p, json.dumps(f(json.load(open(p))), indent=2))
    return g
tenant("roles_empty_array", put("roles.json", "[]\n"))
tenant("users_page_data_null", put("users.json", '{"data": null, "links": {}}\n'))
tenant("items_html_error", put("items.json", "<html><body><h1>504 Gateway Time-out</h1></body></html>\n"))
tenant("spaces_missing", rm("spaces.json"))
tenant("assignment_roles_string", jedit("assignments/66f0000000000000000055aa.json",
                                        lambda a: [dict(x, roles="consumer") for x in a]))
tenant("users_json_lines", lambda d: w(os.path.join(d, "users.json"),
       "".join(json.dumps(u) + "\n" for u in json.load(open(os.path.join(d, "users.json"))))))
tenant("items_api_error", put("items.json", json.dumps({"errors": [{"code": "HTTP-403", "title": "Forbidden"}]})))
tenant("space_type_number", jedit("spaces.json", lambda a: [dict(x, type=1) for x in a]))
tenant("users_assigned_groups_null", jedit("users.json", lambda a: [dict(x, assignedGroups=None) for x in a]))

# ---------------------------------------------------------------- snapshots (snapshot --check, diff)
N = "snapshot/"
w(N + "sa.qvs", SA_INLINE + APP)
# valid.snapshot is written by qsa itself (see README), the others are edits of it made below.

# ---------------------------------------------------------------- qsa.toml (found beside the script)
C = "config/"
def conf(case, text):
    w(C + case + "/qsa.toml", text)
    w(C + case + "/sa.qvs", SA_INLINE + APP)
conf("unknown_lint_code", '[lints]\ndeny = ["QSA999"]\n')
conf("wrong_type", '[lints]\ndeny = "warnings"\n')
conf("deep_inline_table", "x = " + "{ a = " * 100 + "1" + " }" * 100 + "\n")
conf("section_typo", '[lint]\nallow = ["no-admin"]\n')
conf("duplicate_key", '[lints]\nallow = ["no-admin"]\nallow = ["empty-app"]\n')
conf("allow_refusal", '[lints]\nallow = ["not-evaluable"]\n')
conf("not_toml_json", '{"lints": {"deny": ["warnings"]}}\n')
conf("deep_arrays", "[lints]\ndeny = " + "[" * 1000 + "]" * 1000 + "\n")

# ---------------------------------------------------------------- second round (after the first fixes)
# Excel: shared strings with rich-text runs and preserved spaces (valid: ALICE is `AL`+`ICE`).
RICH = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">'
        b'<si><t>ACCESS</t></si><si><t>USERID</t></si><si><t>REGION</t></si>'
        b'<si><r><rPr><b/></rPr><t>AL</t></r><r><t>ICE</t></r></si></sst>')
w(E + "sst_rich_text_runs.xlsx", with_sst(sheet(
    HEAD_S + f'<row r="2">{c("A2","ADMIN")}{c("B2",3,"s")}{c("C2","*")}</row>' + ROW3), sst=RICH))
# A boolean cell holding 2 (only 0 and 1 exist).
w(E + "bool_cell_two.xlsx", with_sst(sheet(body(f'<row r="3">{c("A3","USER")}{c("B3","BOB")}{c("C3","2","b")}</row>'))))
# Two cells with the same reference in one row (a generator bug): which one Qlik keeps is unknown.
w(E + "cell_written_twice.xlsx", with_sst(sheet(body(f'<row r="3">{c("A3","USER")}{c("B3","BOB")}{c("B3","EVE")}{c("C3","EU")}</row>'))))
# QVD: a UTF-8 BOM before the XML header (some tools write one when they rewrite the header).
w(Q + "utf8_bom_before_header.qvd", b"\xef\xbb\xbf" + qvd())
# QVD: USERID nullable (Bias -2): record index 0 -> NULL for ALICE (valid; ALICE's row names nobody).
w(Q + "userid_null_through_bias.qvd", qvd(fields=[("ACCESS", [b"ADMIN", b"USER"], 1, 0, 0), ("USERID", [b"BOB"], 2, -2, 1),
                                              ("REGION", [b"*", b"EU"], 1, 0, 3)], records=bytes([0b0000, 0b1101])))
# Directory: a users export with a UTF-8 BOM (PowerShell's Out-File) - valid.
w(D + "utf8_bom.json", b"\xef\xbb\xbf" + json.dumps([U, U2], indent=2).encode())
# Directory: the same user id twice with different groups.
w(D + "same_id_twice.json", json.dumps([U, dict(U2, id=U["id"])], indent=2))
# Tenant: two apps named Budget (a copy published to another space).
tenant("items_two_apps_same_name", jedit("items.json", lambda a: a + [dict(a[0], id="6701000000000000000b0002", resourceId="b0d9e700-0000-4000-8000-000000000002")]))
# Tenant: the assignments of the app's space missing (the loop skipped it).
tenant("assignments_of_space_missing", rm("assignments/66f0000000000000000055aa.json"))

# ---------------------------------------------------------------- snapshot edits
# snapshot/valid.snapshot was written by `qsa snapshot tests/data/malformed/snapshot/sa.qvs --out …`
# (from the crate root); each input below is a hand edit of it.
if os.path.exists(N + "valid.snapshot"):
    V = open(N + "valid.snapshot", encoding="utf-8").read()
    ALICE = V[V.index("user: ALICE"):V.index("user: BOB")]
    w(N + "future_version.snapshot", V.replace("# qsa snapshot 1", "# qsa snapshot 7"))
    # The header's count is raised with the block, so only the duplicate is wrong.
    w(N + "user_twice.snapshot", V.replace("users: 2", "users: 3").replace("user: BOB", ALICE + "user: BOB"))
    w(N + "user_twice_different.snapshot", V.replace("users: 2", "users: 3").replace("user: BOB", ALICE.replace("ADMIN", "USER") + "user: BOB"))
    w(N + "truncated_mid_block.snapshot", V[: V.index("user: BOB") + 20])
    w(N + "access_line_missing.snapshot", V.replace("  access: USER\n", ""))
    w(N + "access_unknown_value.snapshot", V.replace("access: USER", "access: SUPERUSER"))
    w(N + "kept_more_than_total.snapshot", V.replace("Sales: 1 / 2\n\nuser: BOB", "Sales: 20 / 2\n\nuser: BOB"))
    w(N + "user_count_lies.snapshot", V.replace("users: 2", "users: 3"))
    w(N + "users_unsorted.snapshot", V[: V.index("user: ALICE")] + V[V.index("user: BOB"):].rstrip("\n") + "\n\n" + ALICE.rstrip("\n") + "\n")
    w(N + "report_json_instead.snapshot", '{"schema": "qsa.report/1", "target": "cloud", "group_mode": 0, "users": [], "diagnostics": []}\n')
    w(N + "merge_conflict.snapshot", V.replace("  access: USER\n", "<<<<<<< HEAD\n  access: USER\n=======\n  access: ADMIN\n>>>>>>> feature\n"))
    w(N + "tabs_for_indent.snapshot", V.replace("  access: USER", "\taccess: USER"))
    w(N + "negative_rows.snapshot", V.replace("Sales: 1 / 2\n\nuser: BOB", "Sales: -1 / 2\n\nuser: BOB"))
    w(N + "crlf.snapshot", V.replace("\n", "\r\n"))
    w(N + "bom.snapshot", "\ufeff" + V)
    w(N + "group_mode_invalid.snapshot", V.replace("group mode: 0", "group mode: 5"))

print("ok")
