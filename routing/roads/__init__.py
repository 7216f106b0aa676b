"""Road distances and drive times from a routing engine (OSRM over OpenStreetMap) or AMap.

``engine``  builds OSRM's multi-level-Dijkstra data from an ``.osm.pbf`` extract and answers
            table (matrix) and route queries through ``osrm-bindings``;
``matrix``  :class:`RoadMatrix` — km, minutes and snapped points between named points, with
            provenance, geometries and (de)serialisation;
``amap``    AMap's driving-distance API for the same matrices (a user's key, GCJ-02 at the edge).

Like the rest of ``routing`` this package knows nothing of the catalog: it works on ids and
WGS-84 ``(lat, lon)`` points handed to it.
"""
