"""Maps for notebooks, reports and print: metro roles, LISA clusters, potential and flows.

Every map draws the countries of Natural Earth (1:110m Admin 0, v4.1.0, public
domain) beneath the data, in a projection chosen from the data
(:func:`choose_crs`): Equal Earth (EPSG:8857) for world maps; for regional
data an extent fitted to it in a suitable CRS (LAEA Europe, Conus Albers, a
UTM zone or a Lambert azimuthal equal-area projection centred on the data).
Flows are tapered great-circle lines with a width legend in their unit; points
are sized by population with a size legend; the largest places are labelled;
colour bars carry their unit; the credit line names every source the data
used, © where the licence asks for it (:func:`credit_line`).
:func:`save_map` writes a map as a 300 dpi PNG, an SVG and a PDF. Categorical
colours stay apart in greyscale print. matplotlib is the ``viz`` extra.
"""

from __future__ import annotations

from geoai.viz._basemap import GRATICULE_GID, country_paths
from geoai.viz._canvas import CREDIT_GID, LABEL_GID
from geoai.viz._credits import ATTRIBUTION, CREDITS, MAP_ATTRIBUTION, credit_line, sources_in
from geoai.viz._export import PRINT_DPI, save_map
from geoai.viz._flows import FLOWS_GID, flow_width, flows_map, great_circle
from geoai.viz._legend import SIZE_LEGEND_GID, WIDTH_LEGEND_GID
from geoai.viz._points import lisa_map, roles_map
from geoai.viz._potential import potential_map
from geoai.viz._projection import WORLD_CRS, MapFrame, choose_crs, frame_of, map_crs
from geoai.viz._style import (
    BASEMAP_GID,
    BASEMAP_ZORDER,
    BORDER_COLOUR,
    BORDER_WIDTH,
    LAND_COLOUR,
    LISA_COLOURS,
    ROLE_COLOURS,
    plt,
)

__all__ = [
    "ATTRIBUTION",
    "BASEMAP_GID",
    "BASEMAP_ZORDER",
    "BORDER_COLOUR",
    "BORDER_WIDTH",
    "CREDITS",
    "CREDIT_GID",
    "FLOWS_GID",
    "GRATICULE_GID",
    "LABEL_GID",
    "LAND_COLOUR",
    "LISA_COLOURS",
    "MAP_ATTRIBUTION",
    "PRINT_DPI",
    "ROLE_COLOURS",
    "SIZE_LEGEND_GID",
    "WIDTH_LEGEND_GID",
    "WORLD_CRS",
    "MapFrame",
    "choose_crs",
    "country_paths",
    "credit_line",
    "flow_width",
    "flows_map",
    "frame_of",
    "great_circle",
    "lisa_map",
    "map_crs",
    "potential_map",
    "roles_map",
    "save_map",
    "sources_in",
]

#: pyplot, or the viz extra's error (geoai.pipeline._trajectories draws its charts through it).
_plt = plt
