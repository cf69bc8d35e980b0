#!/usr/bin/env python3
"""A receipt computer (レセコン) in Python, stdlib only: the worked example of a HIS target that
is not written in Rust (conformance/TARGETS.md, "HIS: one command per action").

  his.py check --req-dir DIR --file OQSsiquc01req_X.xml --encoding UTF-8|Shift_JIS \
         --institution 1312345678 --date 20250401 [--arbitrary-id ID] \
         --insurer 06123456 [--symbol S] --number N [--branch 00] --birthdate 19800101
  his.py take --res-dir DIR --file OQSsiquc01res_X.xml [--crypt-pass PASS]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# Python's name for what Windows (and the linkage app) call Shift_JIS: Windows-31J.
CODECS = {"utf-8": "utf-8", "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
          "cp932": "cp932", "ms932": "cp932", "windows-31j": "cp932", "windows-932": "cp932"}

# JIS-form characters cp932 cannot encode, and the CP932 form Windows programs write instead.
CP932_FORMS = str.maketrans("\u301c\u2016\u2212\u00a2\u00a3\u00ac\u00a5",
                            "\uff5e\u2225\uff0d\uffe0\uffe1\uffe2\uffe5")


def fail(message):
    print(f"his.py: {message}", file=sys.stderr)
    sys.exit(1)


def check(a):
    codec = CODECS.get(a.encoding.lower()) or fail(f"encoding {a.encoding!r}: UTF-8 or Shift_JIS")
    # Elements in the order of the interface's layout (OQSsiquc01req).
    msg = ET.Element("XmlMsg")
    head = ET.SubElement(msg, "MessageHeader")
    ET.SubElement(head, "QualificationConfirmationDate").text = a.date
    ET.SubElement(head, "MedicalInstitutionCode").text = a.institution
    if a.arbitrary_id:  # optional: free text the linkage app copies into the result
        ET.SubElement(head, "ArbitraryFileIdentifier").text = a.arbitrary_id
    info = ET.SubElement(ET.SubElement(msg, "MessageBody"), "QualificationConfirmSearchInfo")
    for tag, value in [
        ("InsurerNumber", a.insurer.strip().rjust(8)),  # 6-digit numbers: two leading spaces
        ("InsuredCardSymbol", a.symbol),
        ("InsuredIdentificationNumber", a.number),
        ("InsuredBranchNumber", a.branch),
        ("Birthdate", a.birthdate),  # sic: the layout spells it "Birthdate"
        ("LimitApplicationCertificateRelatedConsFlg", "0"),  # no consent asked at this desk
    ]:
        ET.SubElement(info, tag).text = value
    ET.indent(msg)
    text = ET.tostring(msg, encoding="unicode")
    if codec == "cp932":
        text = text.translate(CP932_FORMS)
    # The declaration must name the encoding the bytes are in: the linkage app decodes by it.
    decl = f'<?xml version="1.0" encoding="{a.encoding}" standalone="no"?>\n'
    try:
        data = (decl + text + "\n").encode(codec)  # strict: never a silent "?"
    except UnicodeEncodeError as e:
        fail(f"{e.object[e.start:e.end]!r} cannot be written in {a.encoding}")

    # Written beside req (same drive, so the move is a rename, not a copy), then moved in whole:
    # the linkage app must never see half a file, nor any other file in req.
    req = os.path.abspath(a.req_dir)
    fd, tmp = tempfile.mkstemp(prefix=".python-his-", suffix=".tmp", dir=os.path.dirname(req))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name appears in req
        os.replace(tmp, os.path.join(req, a.file))
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    print(f"{a.file}: placed in req ({len(data)} bytes)")


def unzip(path, entry, password):
    # Results of encrypted kinds are AES-256 ZIPs, which Python's zipfile cannot open.
    if not password:
        fail(f"{os.path.basename(path)} is encrypted: pass the site's OQS_CRYPT_PASS as --crypt-pass")
    if not shutil.which("7z"):
        fail("7z is needed to open encrypted results: apt-get install p7zip-full")
    # -so: the entry's bytes on stdout, nothing extracted to disk.
    r = subprocess.run(["7z", "x", f"-p{password}", "-so", path, entry], capture_output=True)
    if r.returncode != 0 or not r.stdout:
        fail(f"7z cannot open {entry} in {path}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def take(a):
    path = os.path.join(a.res_dir, a.file)
    with open(path, "rb") as f:
        data = f.read()
    stem, ext = os.path.splitext(a.file)
    if ext.lower() == ".zip":
        data = unzip(path, stem + ".xml", a.crypt_pass)
    # Decode by the XML declaration (UTF-8 when there is none, as XML says), then parse the text.
    m = re.match(rb'(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9_.-]+)', data)
    label = m.group(1).decode() if m else "UTF-8"
    codec = CODECS.get(label.lower()) or fail(f"{a.file}: unsupported encoding {label!r}")
    msg = ET.fromstring(data.decode("utf-8-sig" if codec == "utf-8" else codec))
    head, body = msg.find("MessageHeader"), msg.find("MessageBody")

    def value(parent, tag):
        e = parent.find(tag) if parent is not None else None
        text = e.text.strip(" \t\r\n") if e is not None and e.text else ""  # XML's blanks only
        return text or None

    segment = value(head, "SegmentOfResult") or fail(f"{a.file} has no SegmentOfResult")
    # Read in full: now the result can go (a result left in res blocks the next of its name).
    os.remove(path)
    # What the reception acts on, reported to the kit: UTF-8 whatever the locale.
    lines = [f"segment {segment}"]
    if (v := value(body, "QualificationValidity")) is not None:
        lines.append(f"validity {v}")
    if (n := value(body, "ResultList/ResultOfQualificationConfirmation/Name")) is not None:
        lines.append(f"name {n}")
    # ErrorCode in the header (SegmentOfResult 9); a per-request error only in the body.
    if (c := value(head, "ErrorCode") or value(body, "ProcessingResultCode")) is not None:
        lines.append(f"error {c}")
    sys.stdout.buffer.write("".join(f"OQS-KIT {l}\n" for l in lines).encode("utf-8"))


def main():
    p = argparse.ArgumentParser(description="A receipt computer (レセコン) for oqs-kit")
    sub = p.add_subparsers(dest="action", required=True)
    c = sub.add_parser("check", help="write a qualification check request into req")
    for name in ["req-dir", "file", "encoding", "institution", "date", "insurer", "number", "birthdate"]:
        c.add_argument(f"--{name}", required=True)
    for name in ["arbitrary-id", "symbol", "branch"]:
        c.add_argument(f"--{name}", default="")
    t = sub.add_parser("take", help="read a result out of res and delete it")
    t.add_argument("--res-dir", required=True)
    t.add_argument("--file", required=True)
    t.add_argument("--crypt-pass", default="")
    a = p.parse_args()
    if a.action == "check":
        check(a)
    else:
        take(a)


if __name__ == "__main__":
    main()
