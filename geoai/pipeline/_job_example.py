"""The commented example job ``geoai init-job`` writes: every key, its default and meaning."""

__all__ = ["EXAMPLE_JOB"]

EXAMPLE_JOB = """\
# geoai job file: `geoai run job.toml --out out/`
# Every key is optional; the values shown are the defaults.

[data]
places = "embedded"          # or your places: .csv / .gpkg / .parquet / .fgb (also `metros =`)
min_population = 1_000_000   # embedded metros only: size floor (people)
# your places only (geoai run --places my.csv --lon lon --lat lat ... sets the same):
# lon = "lon"                # CSV coordinate columns (x, y in crs)
# lat = "lat"
# crs = "EPSG:4326"          # CRS of a CSV's coordinates (a GeoPackage carries its own)
# id = "name"                # unique id column (default metro_id, else place_id = 1, 2, ...)
# name = "name"              # name column (default name, else the id)
# population = "population"  # population column (people)
# country = "FRA"            # one ISO3 code for every place, or:
# country_column = "iso3"    # a column of ISO3/ISO2 codes (default country_iso3); without
#                            # either, countries are located on Natural Earth (modelled)
# layer = "places"           # layer of a multi-layer file

[scenario]
presets = ["concentration", "exodus", "divergence"]   # any of these and "baseline"
start = 2025
end = 2050
seed = 0

# parameter overrides for every preset (names: geoai.scenario.ScenarioParams().describe())
[scenario.overrides]
# ai_pool_max = 5e6          # seed 000's company arithmetic instead of 100 M

# overrides for one preset only
# [scenario.preset_overrides.exodus]
# remote_share = 0.4

[grid]
bounds = [-180.0, -60.0, 180.0, 78.0]   # xmin, ymin, xmax, ymax in the grid CRS; with your
                                         # places: their extent plus a margin unless given
resolution = 0.25                        # cell size in CRS units (fitted to your places too)
crs = "EPSG:4326"

[potential]
weight = "ai_jobs"           # final-year column used as mass: ai_jobs, talent, population, capital
decay = "exponential"        # exponential, gaussian, power, box
scale_km = 300.0             # decay scale (km); for decay = "power" give beta instead
# beta = 1.0
method = "auto"              # auto, direct, fft, dask

[outputs]
maps = true                  # maps/*.png (300 dpi)
map_formats = ["png"]        # add "svg" and "pdf" for print vector maps (about 3x the drawing time)
report = true                # report.md and report.html
rasters = true               # potential_<preset>.tif and market_areas_<preset>.tif (COG + .qml)
qgis_project = true          # project.qgz
formats = ["gpkg", "parquet", "fgb"]  # the main layers also as GeoParquet and FlatGeobuf
top_flows = 300              # flow lines per preset in the GeoPackage
sensitivity = true           # report: ±20 % band on each headline over the 3 most influential
                             # parameters (one-at-a-time screening; ~80 extra runs per preset)

[dask]
scheduler = ""               # "" = local threads; or a dask.distributed address, tcp://host:8786
"""
