"""countries.geojson from outside: read as JSON, never followed to the network or other files.

A local HTTP server on 127.0.0.1 counts every request; each hostile file must be refused with
exit 2 while the server sees none.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 that answers 404 and counts requests."""
    hits = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            hits.append(self.path)
            self.send_error(404)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def hostile_files(url: str, outside: str):
    """(name, content) of files that GDAL would follow to ``url`` or to ``outside``."""
    vrt = (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/{url}/countries'
           f'.geojson</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>')
    local_vrt = (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{outside}'
                 f'</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>')
    return [
        ("a GDAL virtual format pointing at a URL", vrt),
        ("a GDAL virtual format pointing at another file", local_vrt),
        ("a bare URL", f"/vsicurl/{url}/countries.geojson"),
    ]


@pytest.mark.parametrize("case", range(3))
def test_other_formats_are_refused_without_a_request(data_dir, run_cli, server, tmp_path, case):
    url, hits = server
    outside = tmp_path / "elsewhere.geojson"
    outside.write_text((data_dir / "countries.geojson").read_text(encoding="utf-8"),
                       encoding="utf-8")
    _, content = hostile_files(url, str(outside))[case]
    (data_dir / "countries.geojson").write_text(content, encoding="utf-8")
    result = run_cli("validate", "--data", str(data_dir))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: data/countries.geojson: cannot be read as GeoJSON (")
    assert hits == []


@pytest.mark.parametrize("crs, accepted", [
    ({"type": "link", "properties": {"href": "{url}/crs.prj", "type": "proj4"}}, False),
    ({"type": "name", "properties": {"name": "EPSG:3857"}}, False),
    ({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, True),
])
def test_a_crs_member_is_never_fetched(data_dir, run_cli, server, crs, accepted):
    url, hits = server
    path = data_dir / "countries.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["crs"] = json.loads(json.dumps(crs).replace("{url}", url))
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli("validate", "--data", str(data_dir))
    assert hits == []
    if accepted:
        assert result.exit_code == 0
    else:
        assert result.exit_code == 2
        assert "is not WGS84; GeoJSON is longitude/latitude in WGS84: drop the crs member" \
            in result.stderr
