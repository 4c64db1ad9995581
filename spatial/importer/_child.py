"""The parser process's entry point: parse the upload, check it, encode the answer.

Only this module and what it imports load in the parser (``spatial._sandbox``
runs no package ``__init__`` on the way): the formats, the checks and the
transport with their libraries, not the rest of the app (workspace, storage...),
which the parser does not need.

Each layer's WKB goes to the app early, as soon as it has been read and GEOS
has parsed every value of it (``_publish``, see ``_transport``): the app
decodes it on the other processor while this process runs the checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spatial._errors import LayerImportError
from spatial._sandbox import send_part
from spatial.importer._checks import _finish
from spatial.importer._common import _err, _library_error, _ReadOptions
from spatial.importer._formats import _read_raw
from spatial.importer._transport import _can_send_early, _encode_layers, _encode_part


def _sandbox_entry(data: bytes, workdir: Path, args: list[str]) -> list[bytes | memoryview]:
    """Child entry point: parse ``data`` of format ``args[0]`` and return the encoded answer.

    ``args[1]`` is the JSON of the app's options: ``mode`` ("read" or
    "list"), ``layers`` and ``coordinates``. The answer is a list of buffers
    that the sandbox writes one after the other (no joined copy of a large answer).
    """
    kind = args[0]
    params = json.loads(args[1]) if len(args) > 1 else {}
    layers = params.get("layers")
    opts = _ReadOptions(
        layers=None if layers is None else tuple(str(n) for n in layers),
        coordinates=str(params.get("coordinates", "wgs84")),
        list_only=params.get("mode") == "list",
        single=bool(params.get("single", False)),
        publish=_publish,
    )
    try:
        raws = _read_raw(data, kind, workdir, opts)
        del data  # the upload's bytes are not needed past the read: less memory at the peak
        if opts.list_only:
            return [json.dumps({"ok": True, "choices": opts.choices}, ensure_ascii=False).encode()]
        if not raws:
            raise _err("文件中没有要素。", "The file contains no features.")
        return _encode_layers([_finish(raw) for raw in raws])
    except LayerImportError as exc:
        return [json.dumps({"ok": False, "zh": exc.zh, "en": exc.en}, ensure_ascii=False).encode()]
    except MemoryError:
        raise
    except Exception as exc:  # any library failure becomes a plain message, details to the log
        import traceback

        traceback.print_exc()
        e = _library_error(exc, kind)
        return [json.dumps({"ok": False, "zh": e.zh, "en": e.en}, ensure_ascii=False).encode()]


def _publish(wkb: Any) -> int | None:
    """Send a layer's WKB (every value parsed) to the app early, if it is within an answer's caps.

    Returns the part's number, or None (too large to send unchecked, or the run takes no
    more parts): the checked answer then carries the geometry itself.
    """
    if not _can_send_early(wkb):
        return None
    return send_part(_encode_part(wkb))
