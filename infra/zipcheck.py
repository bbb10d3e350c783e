"""Checks that a Lambda deployment zip loads on its runtime, without running that runtime.

* Every ELF file (``.so``) is parsed (pure Python, no binutils): it must be x86-64, each symbol
  version it needs from the system's glibc (``GLIBC_2.x``) must exist in the runtime's glibc, and
  likewise for libstdc++ (``GLIBCXX_``/``CXXABI_``) where it relies on the system's; each library
  it links (``DT_NEEDED``) must be in the zip or be one the runtime provides.
* Every wheel's tags (``*.dist-info/WHEEL``) must be installable there: a ``linux_x86_64`` tag
  means pip compiled it from source on this machine, against this machine's libraries (what
  packaging does, silently, for a package with no wheel that fits the runtime: Pillow once was
  one); a ``manylinux_2_N`` tag must have N <= the runtime's glibc.
* The zip must stay within Lambda's limits (50 MiB zipped for a direct upload, 250 MiB unzipped).
* Files the functions need must be inside: libmagic and its database from pylibmagic (the
  runtime has no libmagic), the PDF extractor script, the app.

The runtime is ``python3.12`` on Amazon Linux 2023: glibc 2.34, GCC 11's libstdc++.
"""
from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Iterable

RUNTIME = "python3.12"
RUNTIME_GLIBC = (2, 34)  # Amazon Linux 2023
RUNTIME_GLIBCXX = (3, 4, 29)  # GCC 11
RUNTIME_CXXABI = (1, 3, 13)
MAX_ZIPPED = 50 * 1024 * 1024  # Lambda: deployment package, zipped, uploaded directly
MAX_UNZIPPED = 250 * 1024 * 1024  # Lambda: deployment package, unzipped
# Libraries the runtime provides: glibc's, and the few the manylinux policy lets wheels rely on
# (libgcc_s, libstdc++, libz: present on the Lambda base images).
GLIBC_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
              "libutil.so.1", "libresolv.so.2", "libnsl.so.1", "libcrypt.so.2",
              "ld-linux-x86-64.so.2"}
RUNTIME_LIBS = GLIBC_LIBS | {"libgcc_s.so.1", "libstdc++.so.6", "libz.so.1"}
REQUIRED_FILES = {
    "pylibmagic's libmagic": r"^pylibmagic/libmagic\.so(\.\d+)*$",
    "pylibmagic's magic database": r"^pylibmagic/magic\.mgc$",
    "the PDF extractor": r"^chalicelib/pdftext\.py$",
    "the app": r"^app\.py$",
}
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
EM_X86_64 = 62
SHT_DYNAMIC, SHT_GNU_VERNEED = 6, 0x6FFFFFFE
DT_NEEDED = 1


class ElfError(ValueError):
    pass


@dataclass
class ElfInfo:
    machine: int
    needed: list[str]
    versions: dict[str, set[str]]  # library -> symbol versions needed from it

    def max_version(self, prefix: str) -> tuple[int, ...] | None:
        found = [_version(v, prefix) for vs in self.versions.values() for v in vs]
        found = [v for v in found if v is not None]
        return max(found) if found else None


def parse_elf(data: bytes) -> ElfInfo:
    """DT_NEEDED and version needs (``.gnu.version_r``) of a 64-bit little-endian ELF file."""
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ElfError("not a 64-bit little-endian ELF file")
    machine = struct.unpack_from("<H", data, 18)[0]
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(shnum):
        (_name, sh_type, _flags, _addr, offset, size, link, info, _align,
         entsize) = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        sections.append((sh_type, offset, size, link, info, entsize))

    def string(table: int, offset: int) -> str:
        start = sections[table][1] + offset
        return data[start:data.index(b"\0", start)].decode("ascii", "replace")

    needed: list[str] = []
    versions: dict[str, set[str]] = {}
    for sh_type, offset, size, link, info, entsize in sections:
        if sh_type == SHT_DYNAMIC:
            for pos in range(offset, offset + size, entsize or 16):
                tag, value = struct.unpack_from("<qQ", data, pos)
                if tag == 0:
                    break
                if tag == DT_NEEDED:
                    needed.append(string(link, value))
        elif sh_type == SHT_GNU_VERNEED:
            pos = offset
            for _ in range(info):  # sh_info: number of Verneed entries
                _ver, count, file_off, aux, next_off = struct.unpack_from("<HHIII", data, pos)
                library = string(link, file_off)
                apos = pos + aux
                for _ in range(count):
                    _hash, _flags, _other, name_off, anext = struct.unpack_from("<IHHII", data,
                                                                               apos)
                    versions.setdefault(library, set()).add(string(link, name_off))
                    apos += anext
                pos += next_off
    return ElfInfo(machine=machine, needed=needed, versions=versions)


def _version(text: str, prefix: str) -> tuple[int, ...] | None:
    match = re.fullmatch(re.escape(prefix) + r"_(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def _dotted(version: tuple[int, ...] | None) -> str:
    return ".".join(map(str, version)) if version else "-"


@dataclass
class SharedObject:
    path: str
    size: int
    glibc: tuple[int, ...] | None
    glibcxx: tuple[int, ...] | None
    needed: list[str]


@dataclass
class Report:
    zip_path: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    shared_objects: list[SharedObject] = field(default_factory=list)
    wheels: dict[str, list[str]] = field(default_factory=dict)  # dist-info -> tags
    problems: list[str] = field(default_factory=list)
    zipped_limit: int | None = MAX_ZIPPED  # None: uploaded through S3 (a layer)

    @property
    def ok(self) -> bool:
        return not self.problems

    def max_glibc(self) -> tuple[tuple[int, ...] | None, str | None]:
        best = max(((so.glibc, so.path) for so in self.shared_objects if so.glibc),
                   default=(None, None))
        return best

    def summary(self) -> str:
        glibc, where = self.max_glibc()
        lines = [
            f"zip: {self.zip_path}",
            f"  zipped {self.zipped_bytes / 2**20:.1f} MiB ("
            + (f"limit {self.zipped_limit / 2**20:.0f}" if self.zipped_limit else "through S3")
            + "), "
            f"unzipped {self.unzipped_bytes / 2**20:.1f} MiB (limit "
            f"{MAX_UNZIPPED / 2**20:.0f}), {self.files} files, {len(self.wheels)} wheels",
            f"  {len(self.shared_objects)} shared objects; highest glibc needed: "
            f"{_dotted(glibc)} ({where}); runtime {RUNTIME} has {_dotted(RUNTIME_GLIBC)}",
        ]
        for so in sorted(self.shared_objects, key=lambda s: (s.glibc or (), s.path),
                         reverse=True):
            lines.append(f"    GLIBC {_dotted(so.glibc):>6}  {so.size / 1024:8.0f} KiB  {so.path}")
        lines += [f"  PROBLEM: {p}" for p in self.problems] or ["  all checks passed"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        glibc, where = self.max_glibc()
        return {"zip": self.zip_path, "zipped_bytes": self.zipped_bytes,
                "unzipped_bytes": self.unzipped_bytes, "files": self.files,
                "max_glibc": _dotted(glibc), "max_glibc_file": where,
                "shared_objects": {so.path: {"glibc": _dotted(so.glibc),
                                             "glibcxx": _dotted(so.glibcxx),
                                             "needed": so.needed}
                                   for so in self.shared_objects},
                "wheels": self.wheels, "problems": self.problems}


def wheel_problems(name: str, tags: Iterable[str]) -> list[str]:
    """Why a wheel with these tags would not load on the runtime (empty: it would)."""
    tags = list(tags)
    if not tags:
        return [f"{name}: WHEEL has no Tag"]
    usable, reasons = False, []
    for tag in tags:
        try:
            python, abi, platform = tag.split("-")
        except ValueError:
            reasons.append(f"unreadable tag {tag}")
            continue
        if platform == "any":
            usable = True
            continue
        if platform == "linux_x86_64":
            reasons.append(f"{tag}: built from source on this machine (no manylinux wheel)")
            continue
        match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", platform)
        legacy = re.fullmatch(r"(manylinux\d+)_(\w+)", platform)
        if match:
            glibc, arch = (int(match[1]), int(match[2])), match[3]
        elif legacy and legacy[1] in LEGACY_MANYLINUX:
            glibc, arch = LEGACY_MANYLINUX[legacy[1]], legacy[2]
        else:
            reasons.append(f"{tag}: not a Linux platform tag")
            continue
        if arch != "x86_64":
            reasons.append(f"{tag}: not x86_64")
        elif glibc > RUNTIME_GLIBC:
            reasons.append(f"{tag}: needs glibc {_dotted(glibc)}")
        elif not (python.startswith(("cp312", "py3")) or abi == "abi3"):
            reasons.append(f"{tag}: not for CPython 3.12")
        else:
            usable = True
    return [] if usable else [f"{name}: " + "; ".join(reasons)]


def check(zip_path: str, *, max_zipped: int | None = MAX_ZIPPED,
          max_unzipped: int = MAX_UNZIPPED,
          required: dict[str, str] | None = None) -> Report:
    """The checks above; ``required`` names the files that must be inside (the app's by
    default), ``max_zipped`` None for an archive Lambda takes from S3 (a layer's)."""
    import os
    with zipfile.ZipFile(zip_path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        report = Report(zip_path=str(zip_path), zipped_bytes=os.path.getsize(zip_path),
                        unzipped_bytes=sum(i.file_size for i in infos), files=len(infos),
                        zipped_limit=max_zipped)
        names = {i.filename for i in infos}
        basenames = {PurePosixPath(n).name for n in names}
        for info in infos:
            path = info.filename
            if path.endswith(".dist-info/WHEEL"):
                text = archive.read(info).decode("utf-8", "replace")
                tags = [line.split(":", 1)[1].strip() for line in text.splitlines()
                        if line.startswith("Tag:")]
                dist_info = PurePosixPath(path).parent.name  # a layer's are under python/
                report.wheels[dist_info] = tags
                report.problems += wheel_problems(dist_info, tags)
            if not re.search(r"\.so(\.\d+)*$", path):
                continue
            data = archive.read(info)
            try:
                elf = parse_elf(data)
            except (ElfError, struct.error, IndexError, ValueError) as exc:
                report.problems.append(f"{path}: unreadable shared object ({exc})")
                continue
            so = SharedObject(path=path, size=info.file_size, needed=elf.needed,
                              glibc=elf.max_version("GLIBC"), glibcxx=elf.max_version("GLIBCXX"))
            report.shared_objects.append(so)
            if elf.machine != EM_X86_64:
                report.problems.append(f"{path}: ELF machine {elf.machine}, not x86-64")
            if so.glibc and so.glibc > RUNTIME_GLIBC:
                report.problems.append(f"{path}: needs GLIBC_{_dotted(so.glibc)} > "
                                       f"{_dotted(RUNTIME_GLIBC)} ({RUNTIME})")
            for library in elf.needed:
                if library not in basenames and library not in RUNTIME_LIBS:
                    report.problems.append(f"{path}: links {library}, which is neither in "
                                           f"the zip nor on the {RUNTIME} runtime")
            if "libstdc++.so.6" in elf.versions and "libstdc++.so.6" not in basenames:
                cxx = elf.max_version("GLIBCXX")
                abi = elf.max_version("CXXABI")
                if (cxx and cxx > RUNTIME_GLIBCXX) or (abi and abi > RUNTIME_CXXABI):
                    report.problems.append(f"{path}: needs GLIBCXX_{_dotted(cxx)} / "
                                           f"CXXABI_{_dotted(abi)}, newer than the runtime's")
        cached = sorted(n for n in names if n.startswith("chalicelib/") and "__pycache__/" in n)
        if cached:  # compiled here, stale in Lambda; package from a clean copy (infra/package.py)
            report.problems.append(f"the app's bytecode caches are in the zip ({len(cached)} "
                                   f"files, e.g. {cached[0]})")
        for what, pattern in (REQUIRED_FILES if required is None else required).items():
            if not any(re.match(pattern, n) for n in names):
                report.problems.append(f"missing {what} ({pattern})")
    if max_zipped is not None and report.zipped_bytes > max_zipped:
        report.problems.append(f"zipped size {report.zipped_bytes} > {max_zipped} bytes")
    if report.unzipped_bytes > max_unzipped:
        report.problems.append(f"unzipped size {report.unzipped_bytes} > {max_unzipped} bytes")
    return report
