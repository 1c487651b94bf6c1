#!/usr/bin/python3
"""
check.py
    Checks used by test/report/render.sh (Python standard library only).

    check.py png FILE.png
        Decodes the PNG (8-bit grey/RGB/RGBA, not interlaced) and fails unless
        it looks rendered: enough distinct colours and no single colour
        covering nearly all of it.  Prints size and colour statistics.
    check.py crop FILE.png X,Y,W,H OUT.png
        Writes a region of FILE.png to OUT.png (to look at details).
    check.py netlog NET.json [--expect-page-requests]
        Reads a Chromium --log-net-log file and lists the URL requests the
        page made (initiator is the page's origin, "null" for file://), as
        opposed to the browser's own background requests (initiator "not an
        origin").  Fails when the page made any request that is not file://,
        or, with --expect-page-requests (the self-test with a canary page),
        when it made none.
"""
import json
import struct
import sys
import zlib


def decode_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos = 8
    idat = []
    width = height = None
    bpp = None
    colour_type = None
    while pos + 8 <= len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or colour_type not in (0, 2, 4, 6):
                raise ValueError("unsupported PNG: depth %d, colour type %d, interlace %d"
                                 % (depth, colour_type, interlace))
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if width is None or not idat:
        raise ValueError("PNG without IHDR or IDAT")
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    if len(raw) < (stride + 1) * height:
        raise ValueError("truncated image data")
    rows = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        f = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += stride + 1
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            a = bytearray(2 * stride)
            b = bytearray(2 * stride)
            a[1::2] = line
            b[1::2] = prev
            s = (int.from_bytes(a, "big") + int.from_bytes(b, "big")).to_bytes(2 * stride + 1, "big")
            line = bytearray(s[2::2])
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa = abs(p - a)
                pb = abs(p - b)
                pc = abs(p - c)
                if pa <= pb and pa <= pc:
                    pr = a
                elif pb <= pc:
                    pr = b
                else:
                    pr = c
                line[i] = (line[i] + pr) & 255
        elif f != 0:
            raise ValueError("bad filter type %d" % f)
        rows.append(line)
        prev = line
    return width, height, bpp, colour_type, rows


def write_png(path, width, height, colour_type, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def cmd_png(path):
    width, height, bpp, _, rows = decode_png(path)
    counts = {}
    for y in range(0, height, 2):
        line = bytes(rows[y])
        for x in range(0, width * bpp, bpp):
            px = line[x:x + bpp]
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    top = max(counts.values())
    distinct = len(counts)
    ok = distinct >= 32 and top / total < 0.97
    print("%s: %dx%d, %d distinct colours, most common colour %.1f%% of pixels: %s"
          % (path, width, height, distinct, 100.0 * top / total, "ok" if ok else "BLANK"))
    return 0 if ok else 1


def cmd_crop(path, box, out):
    width, height, bpp, colour_type, rows = decode_png(path)
    x, y, w, h = (int(v) for v in box.split(","))
    x = max(0, min(x, width - 1))
    y = max(0, min(y, height - 1))
    w = max(1, min(w, width - x))
    h = max(1, min(h, height - y))
    write_png(out, w, h, colour_type, [rows[r][x * bpp:(x + w) * bpp] for r in range(y, y + h)])
    print("%s: %dx%d from %s" % (out, w, h, path))
    return 0


def cmd_netlog(path, expect_requests):
    with open(path) as f:
        text = f.read()
    try:
        log = json.loads(text)
    except ValueError:
        # a log cut short when the browser exits: close the events array
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page, background = [], []
    for e in log.get("events", []):
        if types.get(e.get("type")) != "URL_REQUEST_START_JOB":
            continue
        params = e.get("params") or {}
        url = params.get("url")
        if not url:
            continue
        if params.get("initiator") == "not an origin":
            background.append(url)
        elif not url.startswith("file:"):
            page.append(url)
    print("%s: %d request(s) by the page, %d background request(s) by the browser itself "
          "(all unresolvable under --host-resolver-rules)" % (path, len(page), len(background)))
    for url in page:
        print("  page request: %s" % url[:200])
    if expect_requests:
        return 0 if page else 1
    return 1 if page else 0


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "png":
            return cmd_png(argv[2])
        if len(argv) == 5 and argv[1] == "crop":
            return cmd_crop(argv[2], argv[3], argv[4])
        if len(argv) in (3, 4) and argv[1] == "netlog":
            return cmd_netlog(argv[2], len(argv) == 4 and argv[3] == "--expect-page-requests")
    except (OSError, ValueError, KeyError) as e:
        print("%s: %s" % (argv[2] if len(argv) > 2 else "check.py", e))
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
