"""Zip and KMZ archives, read in the parser process: judged first, inflated under a real cap."""

from __future__ import annotations

import errno
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spatial._errors import LayerImportError
from spatial.importer._common import (
    _NESTED_ARCHIVE_EXT,
    _RATIO_MIN_SIZE,
    MAX_INFLATED_BYTES,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    SUPPORTED_EXTENSIONS,
    _clean_text,
    _encoding_warning,
    _err,
    _RawLayer,
    _ReadOptions,
    _require,
    _unknown_crs,
)
from spatial.importer._formats import (
    _ogr_read,
    _read_gpkg,
    _read_kml,
    _read_raw,
    _several_layers,
)


@dataclass(frozen=True)
class _Entry:
    name: str  # as stored (GDAL sees the same decoded name)
    size: int
    display: str  # for people: legacy (non-UTF-8) names re-decoded, e.g. GBK "道路.shp"


def _inspect_zip(data: bytes, label: str) -> tuple[zipfile.ZipFile, list[_Entry]]:
    """Judge a zip by its central directory alone: nothing is inflated here."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _err(
            f"{label} 文件已损坏，无法打开。", f"The {label} file is damaged and cannot be opened."
        ) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _err(
            f"压缩包中的文件太多（{len(infos)} 个，上限 {MAX_ZIP_ENTRIES}）。",
            f"The archive holds too many files ({len(infos)}; the limit is {MAX_ZIP_ENTRIES}).",
        )
    entries: list[_Entry] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        norm = name.replace("\\", "/")
        parts = PurePosixPath(norm).parts
        if (
            norm.startswith("/")
            or re.match(r"^[A-Za-z]:", norm)
            or ".." in parts
            or any(unicodedata.category(ch)[0] == "C" for ch in name)
        ):
            raise _err(
                "压缩包中含有不安全的路径（如 ../ 或绝对路径），不予读取。请重新打包。",
                "The archive contains unsafe paths (such as ../ or absolute paths) and is "
                "refused. Zip the files again.",
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise _err(
                "压缩包中含有符号链接，不予读取。请只打包数据文件本身。",
                "The archive contains symbolic links and is refused. Zip the data files "
                "themselves.",
            )
        if info.flag_bits & 0x1:
            raise _err(
                "压缩包有密码保护，无法读取。请去掉密码后重新打包。",
                "The archive is password-protected. Zip the files again without a password.",
            )
        if (
            info.is_dir()
            or norm.startswith("__MACOSX/")
            or PurePosixPath(norm).name.startswith("._")
        ):
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _err(
                "压缩包使用了不支持的压缩方式。请用标准 zip（deflate）重新打包。",
                "The archive uses an unsupported compression method. Zip it again with "
                "standard (deflate) compression.",
            )
        if norm.lower().endswith(_NESTED_ARCHIVE_EXT):
            raise _err(
                "压缩包中还套有压缩包，不予读取。请解开内层压缩包，只打包数据文件。",
                "The archive contains another archive and is refused. Unpack the inner archive "
                "and zip only the data files.",
            )
        if norm.lower() in seen:
            raise _err(
                "压缩包中有重名文件，无法确定读取哪一个。请重新打包。",
                "The archive contains two files with the same name. Zip the files again.",
            )
        seen.add(norm.lower())
        total += info.file_size
        if info.file_size > _RATIO_MIN_SIZE and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise _zip_too_big()
        if total > MAX_INFLATED_BYTES:
            raise _zip_too_big()
        entries.append(_Entry(name, info.file_size, _display_name(name, info.flag_bits)))
    return zf, entries


def _display_name(name: str, flag_bits: int) -> str:
    """The entry name as its author saw it.

    Without the UTF-8 flag a zip name is raw bytes that zipfile (and GDAL)
    decode as CP437; Chinese Windows tools write GBK there, so such names are
    re-decoded for display (the CP437 form is still what opens the entry).
    """
    if flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _zip_too_big() -> LayerImportError:
    return _err(
        f"压缩包解压后过大（上限 {MAX_INFLATED_BYTES // 1024**2} MB）或压缩比异常，疑似“压缩炸弹”，"
        "不予读取。",
        f"The archive would inflate to too much data (limit {MAX_INFLATED_BYTES // 1024**2} MB) "
        "or has an abnormal compression ratio (a possible zip bomb); it is refused.",
    )


class _Inflated:
    """Real bytes inflated so far from one archive, against :data:`MAX_INFLATED_BYTES`.

    The central directory's sizes are only what the archive *claims*; a
    hostile zip under-declares them. So every byte is counted as it comes
    out of the decompressor, and extraction stops at the cap.
    """

    def __init__(self) -> None:
        self.total = 0

    def extract(self, zf: zipfile.ZipFile, entry: _Entry, dest: Path | None = None) -> bytes:
        """Inflate one entry (to ``dest`` if given, else into memory) under the real cap."""
        chunks: list[bytes] = []
        out = dest.open("wb") if dest is not None else None
        try:
            with zf.open(entry.name) as src:
                while True:
                    chunk = src.read(1024**2)
                    if not chunk:
                        break
                    self.total += len(chunk)
                    if self.total > MAX_INFLATED_BYTES:
                        raise _zip_too_big()
                    if out is not None:
                        out.write(chunk)
                    else:
                        chunks.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
                raise _zip_too_big() from None
            # zipfile stops at the declared size and checks the CRC: a lying header ends here.
            raise _err(
                "压缩包已损坏（文件大小或校验值与内容不符），无法读取。请重新打包。",
                "The archive is damaged (sizes or checksums do not match the content). "
                "Zip the files again.",
            ) from None
        finally:
            if out is not None:
                out.close()
        return b"".join(chunks)


def _read_zip(data: bytes, kind: str, workdir: Path, opts: _ReadOptions) -> list[_RawLayer]:
    """Read the layer(s) of a zip or KMZ; members are inflated by us, under a real byte cap.

    GDAL never reads the archive itself (no ``/vsizip/``): its inflater trusts
    nothing but also bounds nothing, so a zip whose headers under-declare its
    sizes would inflate fully inside it.
    """
    label = "KMZ" if kind == "kmz" else "ZIP"
    zf, entries = _inspect_zip(data, label)
    inflated = _Inflated()
    by_ext: dict[str, list[_Entry]] = {}
    for e in entries:
        by_ext.setdefault(PurePosixPath(e.name.replace("\\", "/")).suffix.lower(), []).append(e)
    if kind == "kmz":
        kmls = by_ext.get(".kml", [])
        if not kmls:
            raise _err("KMZ 中没有 KML 文件。", "The KMZ contains no KML file.")
        doc = next((e for e in kmls if e.name.lower() == "doc.kml"), kmls[0])
        return [_read_kml(inflated.extract(zf, doc), workdir)]
    shps = by_ext.get(".shp", [])
    others = [
        e for ext in (".geojson", ".json", ".gpkg", ".kml", ".csv") for e in by_ext.get(ext, [])
    ]
    if len(shps) + len(others) > 1:
        raise _several_layers("ZIP", [e.display for e in shps + others])
    if shps:
        if opts.list_only:
            return []
        return [_read_zipped_shapefile(zf, entries, shps[0], workdir, inflated)]
    if not others:
        found = ", ".join(_clean_text(e.display, 30) for e in entries[:5]) or "-"
        raise _err(
            f"压缩包中没有可读取的图层（找到：{found}）。请放入 .shp（连同 .shx、.dbf、.prj）"
            "或 GeoJSON/GeoPackage/KML/CSV 文件。",
            f"The archive contains no readable layer (found: {found}). Include a .shp (with its "
            ".shx, .dbf and .prj) or a GeoJSON/GeoPackage/KML/CSV file.",
        )
    inner = others[0]
    ext = PurePosixPath(inner.name).suffix.lower()
    inner_kind = SUPPORTED_EXTENSIONS[ext]
    if inner_kind == "gpkg":
        path = workdir / "inner.gpkg"
        inflated.extract(zf, inner, path)
        with path.open("rb") as f:
            _require("gpkg", f.read(100), ("gpkg",))
        return _read_gpkg(f"GPKG:{path}", PurePosixPath(inner.display).stem, opts)
    if opts.list_only:
        return []
    # Text formats: the entry's bytes (size capped) go through the same checks as an upload.
    return _read_raw(inflated.extract(zf, inner), inner_kind, workdir, opts)


_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _read_zipped_shapefile(
    zf: zipfile.ZipFile, entries: list[_Entry], shp: _Entry, workdir: Path, inflated: _Inflated
) -> _RawLayer:
    stem = shp.name[: -len(".shp")]
    siblings = {e.name[len(stem) :].lower(): e for e in entries if e.name[: len(stem)] == stem}
    missing = [ext for ext in (".shx", ".dbf") if ext not in siblings]
    if missing:
        what = " 和 ".join(missing)
        raise _err(
            f"Shapefile 不完整：压缩包中缺少 {what} 文件。请把同名的 .shp、.shx、.dbf、.prj "
            "一起打包。",
            f"The Shapefile is incomplete: the archive lacks the {' and '.join(missing)} file. "
            "Zip the .shp, .shx, .dbf and .prj of the same name together.",
        )
    # Our own fixed names in the private directory: nothing of the archive's paths is used.
    folder = workdir / "shapefile"
    folder.mkdir()
    for ext in _SHAPEFILE_PARTS:
        if ext in siblings:
            inflated.extract(zf, siblings[ext], folder / f"layer{ext}")
    encoding: str | None = None
    warnings: list[str] = []
    if ".cpg" not in siblings:
        dbf = (folder / "layer.dbf").read_bytes()
        if len(dbf) > 29 and dbf[29] == 0:  # no language driver id: GDAL would assume Latin-1
            encoding, warnings = _guess_dbf_encoding(dbf)
    raw = _ogr_read(str(folder / "layer.shp"), "Shapefile", encoding=encoding)
    if ".prj" in siblings and raw.crs is None:
        raise _unknown_crs(".prj")
    raw.dataset_name = PurePosixPath(shp.display.replace("\\", "/")).stem
    raw.encoding = encoding or raw.encoding
    raw.warnings += warnings
    return raw


def _guess_dbf_encoding(dbf: bytes) -> tuple[str | None, list[str]]:
    """Decide a DBF's text encoding from its record bytes (no .cpg, no language id)."""
    header_len = int.from_bytes(dbf[8:10], "little")
    body = dbf[header_len:]
    try:
        body.decode("ascii")
        return None, []
    except UnicodeDecodeError:
        pass
    try:
        body.decode("utf-8")
        return "UTF-8", []
    except UnicodeDecodeError:
        pass
    try:
        body.decode("gb18030")
        return "GB18030", _encoding_warning("GBK")
    except UnicodeDecodeError:
        pass
    return "CP1252", [
        "Shapefile 没有 .cpg 编码文件，文字编码无法确定，中文可能显示为乱码。请连同 .cpg 文件一起"
        "上传。 / The Shapefile has no .cpg file and its text encoding could not be determined; "
        "text may be garbled. Upload it together with its .cpg file."
    ]
