"""Rasters: Cloud-Optimized GeoTIFF writing, streamed for Dask-backed arrays.

:func:`write_raster` always goes through the same two steps:

1. a *staging* tiled GeoTIFF (512 × 512 tiles, fast deflate) is written next
   to the target, window by window: row strips of an in-memory array, or the
   blocks of a Dask array as the active scheduler computes them, so a Dask
   array is never held whole in memory;
2. GDAL's COG driver copies it into a Cloud-Optimized GeoTIFF (tiled 512,
   DEFLATE with the floating-point or integer predictor, internal overviews,
   nodata and CRS always written) at a temporary path, which is renamed onto
   the target only when complete (:func:`geoai.io.atomic_path`).

A sidecar ``.qml`` (single-band pseudocolor, classes from the data; see
:mod:`geoai.io.qgis`, or the caller's own style) is written the same way, so
QGIS opens the raster styled.

Every band describes itself inside the TIFF (GDAL's ``GDAL_METADATA`` tag, read
by ``gdalinfo``, QGIS and rasterio): a description (what the values are), a
unit type, and band metadata (meaning, observed or modelled, source). A
categorical raster can also carry a GDAL raster attribute table (value to
label, e.g. metro id and name) in the ``.tif.aux.xml`` sidecar GDAL reads with it.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as _xml_escape

import numpy as np

from geoai.errors import CRSError, InputError
from geoai.io import qgis
from geoai.io._atomic import atomic_path, check_writable

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import xarray as xr
    from dask.array import Array as DaskArray
    from dask.delayed import Delayed
    from distributed import Client

__all__ = ["COG_BLOCKSIZE", "attribute_table_xml", "write_raster"]

#: Tile edge (pixels) of the COG and of the staging GeoTIFF.
COG_BLOCKSIZE = 512
#: Values kept (at most) to compute the style's class breaks.
_SAMPLE = 200_000
#: GDAL block cache (bytes) while writing: bounds memory whatever the raster size.
_GDAL_CACHE = 256 * 2**20
#: Rows per strip when writing an in-memory array.
_STRIP = 2 * COG_BLOCKSIZE
_DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64")


def _layout(da: xr.DataArray) -> tuple[int, int, int]:
    """(bands, height, width) of a (y, x) or (band, y, x) DataArray."""
    if da.ndim == 2 and da.dims == ("y", "x"):
        return 1, int(da.shape[0]), int(da.shape[1])
    if da.ndim == 3 and da.dims[1:] == ("y", "x"):
        return int(da.shape[0]), int(da.shape[1]), int(da.shape[2])
    raise InputError(
        f"write_raster needs dims ('y', 'x') or ('band', 'y', 'x'); got {da.dims}. "
        "Rename or transpose the array first (da.transpose('y', 'x'))."
    )


def _nodata(da: xr.DataArray, nodata: float | None, dtype: np.dtype) -> float:
    if nodata is None:
        for nd in (da.rio.nodata, da.rio.encoded_nodata, da.attrs.get("_FillValue")):
            if nd is not None:
                nodata = nd
                break
    if nodata is None:
        if dtype.kind == "f":
            return float("nan")
        raise InputError(
            f"an integer raster ({dtype}) needs a nodata value; pass nodata=... or set it "
            "with da.rio.write_nodata(...)."
        )
    value = float(nodata)
    if dtype.kind != "f" and (
        not math.isfinite(value)
        or value != int(value)
        or not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max
    ):
        raise InputError(f"nodata={nodata!r} is not representable in {dtype}.")
    return value


def _dask_blocks(data: DaskArray) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """Yield (offset, block) of a 2-D/3-D dask array as the active scheduler computes them.

    With a ``dask.distributed`` client a bounded window of tiles is in flight
    (twice the worker threads), so results never pile up; otherwise tiles are
    computed in batches with ``dask.compute`` on the current scheduler.
    """
    import dask

    offsets = [np.concatenate([[0], np.cumsum(c)[:-1]]) for c in data.chunks]
    delayed = data.to_delayed()  # type: ignore[no-untyped-call]  # untyped dependency
    items = [
        (tuple(int(offsets[d][i]) for d, i in enumerate(idx)), delayed[idx])
        for idx in np.ndindex(delayed.shape)
    ]
    client = None
    with contextlib.suppress(ImportError, ValueError):
        from distributed import default_client

        client = default_client()  # type: ignore[no-untyped-call]  # untyped dependency
    if client is not None:
        yield from _stream_futures(client, items, max(2, 2 * sum(client.nthreads().values())))
        return
    batch = max(2, 2 * (os.cpu_count() or 1))
    for k in range(0, len(items), batch):
        chunk = items[k : k + batch]
        results = dask.compute(*[blk for _, blk in chunk])  # type: ignore[attr-defined,no-untyped-call]  # untyped dependency
        for (off, _), arr in zip(chunk, results, strict=True):
            yield off, np.asarray(arr)


def _stream_futures(
    client: Client, items: list[tuple[tuple[int, ...], Delayed]], window: int
) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """Keep ``window`` tiles in flight on a distributed client; yield each as it lands."""
    from distributed import as_completed

    todo = iter(items)
    seq = as_completed()  # type: ignore[no-untyped-call]  # untyped dependency
    where: dict[str, tuple[int, ...]] = {}

    def submit() -> None:
        nxt = next(todo, None)
        if nxt is not None:
            fut = client.compute(nxt[1])  # type: ignore[no-untyped-call]  # untyped dependency
            where[fut.key] = nxt[0]
            seq.add(fut)  # type: ignore[no-untyped-call]  # untyped dependency

    for _ in range(window):
        submit()
    for fut in seq:
        arr = np.asarray(fut.result())
        off = where.pop(fut.key)
        fut.release()
        submit()
        yield off, arr


def _numpy_blocks(data: np.ndarray) -> Iterator[tuple[tuple[int, ...], np.ndarray]]:
    """Row strips of an in-memory (y, x) or (band, y, x) array."""
    rows = data.shape[-2]
    for r in range(0, rows, _STRIP):
        if data.ndim == 2:
            yield (r, 0), data[r : r + _STRIP]
        else:
            yield (0, r, 0), data[:, r : r + _STRIP]


class _Stats:
    """Running min/max and a strided sample of the finite values, for the style."""

    def __init__(self, n_values: int, nodata: float) -> None:
        self.step = max(1, n_values // _SAMPLE)
        self.nodata = nodata
        self.parts: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> None:
        flat = np.asarray(block).ravel()
        valid = np.isfinite(flat)
        if not math.isnan(self.nodata):
            valid &= flat != self.nodata
        if valid.any():
            kept = flat[valid]  # a temporary copy, dropped on return
            self.parts.append(np.array([kept.min(), kept.max()], dtype=np.float64))
            # copy: a strided view would keep the whole block alive
            self.parts.append(kept[:: self.step].astype(np.float64))

    def values(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.empty(0)


def _write_staging(
    da: xr.DataArray, staging: Path, nodata: float, dtype: np.dtype, about: _About
) -> _Stats:
    import rasterio
    from rasterio.windows import Window

    bands, height, width = _layout(da)
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": bands,
        "dtype": dtype.name, "crs": da.rio.crs, "transform": da.rio.transform(),
        "nodata": nodata, "tiled": True, "blockxsize": COG_BLOCKSIZE,
        "blockysize": COG_BLOCKSIZE, "compress": "deflate", "zlevel": 1,
        "predictor": 3 if dtype.kind == "f" else 2, "bigtiff": "IF_SAFER",
        "num_threads": "ALL_CPUS",
    }  # fmt: skip
    data = da.data
    is_dask = type(data).__module__.startswith("dask")
    blocks = _dask_blocks(data) if is_dask else _numpy_blocks(np.asarray(data))
    stats = _Stats(bands * height * width, nodata)
    with rasterio.open(staging, "w", **profile) as dst:
        for off, block in blocks:
            arr = np.asarray(block).astype(dtype, copy=False)
            if arr.ndim == 2:
                arr = arr[None]
                b0 = 0
            else:
                b0 = off[0]
            r0, c0 = off[-2], off[-1]
            window = Window(c0, r0, arr.shape[2], arr.shape[1])
            dst.write(arr, indexes=list(range(b0 + 1, b0 + 1 + arr.shape[0])), window=window)
            stats.add(arr)
        tags = {k: str(val) for k, val in da.attrs.items() if isinstance(val, str | int | float)}
        dst.update_tags(**tags, **about.tags)
        for b in range(1, bands + 1):
            if about.description:
                dst.set_band_description(b, about.description)
            if about.unit:
                dst.set_band_unit(b, about.unit)
            if about.band_tags:
                dst.update_tags(b, **about.band_tags)
    return stats


class _About:
    """What a raster says about itself: band description, unit, band and dataset metadata."""

    def __init__(
        self,
        da: xr.DataArray,
        description: str | None,
        unit: str | None,
        band_metadata: Mapping[str, object] | None,
        metadata: Mapping[str, object] | None,
    ) -> None:
        named = da.attrs.get("long_name") or (None if da.name is None else str(da.name))
        self.description = str(description or named or "")
        given = da.attrs.get("unit") or da.attrs.get("units")
        self.unit = str(unit if unit is not None else given or "")
        self.band_tags = _tags(band_metadata, "band_metadata")
        self.tags = _tags(metadata, "metadata")


def _tags(items: Mapping[str, object] | None, what: str) -> dict[str, str]:
    """GDAL metadata items as strings; keys must be plain words (GDAL writes them as XML)."""
    out: dict[str, str] = {}
    for key, value in (items or {}).items():
        if not str(key).replace("_", "").isalnum():
            raise InputError(
                f"{what} key {key!r} is not a plain word; use letters, digits and _ only."
            )
        out[str(key)] = str(value)
    return out


def attribute_table_xml(
    categories: Mapping[int, Mapping[str, object]], *, band: int = 1, name_field: str = "name"
) -> str:
    """Write a GDAL PAM document holding a thematic raster attribute table (value to labels).

    Parameters
    ----------
    categories : mapping of int to mapping of str to object
        ``{pixel value: {column: label}}``; every value has the same columns
        (e.g. ``metro_id`` and ``name``). Values are written in ascending order.
    band : int, default 1
        The band the table belongs to (1-based).
    name_field : str, default "name"
        The column GDAL marks as the class name (usage ``Name``).

    Returns
    -------
    str
        The ``<PAMDataset>`` XML GDAL reads from ``<raster>.aux.xml``: a
        ``Value`` column (integer, usage ``MinMax``) then one string column per label.

    Raises
    ------
    InputError
        No category, or the categories do not all have the same columns.

    Examples
    --------
    >>> xml = attribute_table_xml({0: {"metro_id": "wup:1", "name": "Tokyo"}})
    >>> "<Name>Value</Name>" in xml, "<F>Tokyo</F>" in xml
    (True, True)
    """
    if not categories:
        raise InputError(
            "a raster attribute table needs at least one category; pass {value: {...}}."
        )
    columns = list(next(iter(categories.values())))
    if any(list(labels) != columns for labels in categories.values()):
        raise InputError(
            f"every category needs the same columns {columns}; give each value the same keys."
        )
    usage = {name_field: 2}  # GFU_Name; Value is GFU_MinMax (5), the rest GFU_Generic (0)
    fields = ["<FieldDefn index='0'><Name>Value</Name><Type>0</Type><Usage>5</Usage></FieldDefn>"]
    fields += [
        f"<FieldDefn index='{i}'><Name>{_xml_escape(str(c))}</Name><Type>2</Type>"
        f"<Usage>{usage.get(c, 0)}</Usage></FieldDefn>"
        for i, c in enumerate(columns, start=1)
    ]
    rows = [
        f"<Row index='{i}'><F>{int(value)}</F>"
        + "".join(f"<F>{_xml_escape(str(categories[value][c]))}</F>" for c in columns)
        + "</Row>"
        for i, value in enumerate(sorted(categories))
    ]
    body = "\n".join(["<GDALRasterAttributeTable tableType='thematic'>", *fields, *rows])
    return (
        f"<PAMDataset>\n<PAMRasterBand band='{int(band)}'>\n{body}\n"
        "</GDALRasterAttributeTable>\n</PAMRasterBand>\n</PAMDataset>\n"
    )


def write_raster(
    da: xr.DataArray,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    nodata: float | None = None,
    style: bool | str = True,
    ramp: str = "viridis",
    classes: int = 7,
    dtype: str | None = None,
    description: str | None = None,
    unit: str | None = None,
    band_metadata: Mapping[str, object] | None = None,
    metadata: Mapping[str, object] | None = None,
    categories: Mapping[int, Mapping[str, object]] | None = None,
    attribute_table: bool = False,
) -> Path:
    """Write a DataArray as a Cloud-Optimized GeoTIFF, atomically, with a QGIS style.

    Parameters
    ----------
    da : xarray.DataArray, dims (y, x) or (band, y, x)
        Values with rioxarray CRS and transform (as returned by
        :func:`geoai.potential.surface`); NumPy- or Dask-backed. A Dask array
        is computed tile by tile on the active scheduler and never held whole.
    path : path-like
        Target ``.tif``/``.tiff``; its folder must exist.
    overwrite : bool, default False
        Replace an existing raster (and its ``.qml``); otherwise an existing
        file is an error raised before anything is written.
    nodata : float, optional
        Nodata value; default the array's (``da.rio.nodata``), else NaN for
        floating-point data. Integer data need one.
    style : bool or str, default True
        Also write ``path`` with suffix ``.qml``: True for a single-band
        pseudocolor with ``classes`` quantile classes from the data (exact
        values for integers), or the QML text itself (the caller's style).
    ramp : str, default "viridis"
        Colour ramp of the default style, a key of :data:`geoai.io.qgis.RAMPS`.
    classes : int, default 7
        Number of colour classes of the default style.
    dtype : str, optional
        Write the values as this dtype (e.g. ``"float32"``); default the array's.
    description : str, optional
        Every band's description (``gdalinfo``'s ``Description``, QGIS's band
        name); default ``da.attrs["long_name"]``, else ``da.name``.
    unit : str, optional
        Every band's unit type (e.g. ``"people"``); default ``da.attrs["units"]``.
    band_metadata : mapping of str to object, optional
        Metadata items of every band (e.g. ``meaning``, ``kind``, ``source``).
    metadata : mapping of str to object, optional
        Dataset metadata items, written after the array's own attributes
        (e.g. ``TIFFTAG_COPYRIGHT`` for the attribution).
    categories : mapping of int to mapping of str to object, optional
        For a categorical (integer) raster: ``{value: {column: label}}``. Each
        value's labels become a band metadata item inside the TIFF
        (``value_<v>``: the labels joined by `` | ``, e.g. ``"wup:1 | Tokyo"``).
    attribute_table : bool, default False
        Also write ``categories`` as a GDAL raster attribute table in
        ``path + ".aux.xml"`` (:func:`attribute_table_xml`; replaced like the
        raster). Off by default: QGIS rewrites that sidecar when it computes
        statistics, so it would no longer be the file geoai wrote.

    Returns
    -------
    pathlib.Path
        The written COG.

    Raises
    ------
    InputError
        The target exists (without ``overwrite``), its folder is missing, or
        the array has the wrong dims, dtype or nodata.
    CRSError
        The array has no CRS.

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np, geoai
    >>> grid = geoai.Grid.from_bounds((0, 40, 10, 50), 0.5, crs="EPSG:4326")
    >>> da = grid.to_xarray(np.arange(400.0).reshape(20, 20), name="demo")
    >>> out = write_raster(da, pathlib.Path(tempfile.mkdtemp()) / "demo.tif")
    >>> sorted(p.name for p in out.parent.iterdir())  # the style, and the ledger of geoai's files
    ['.geoai-files.json', 'demo.qml', 'demo.tif']
    """
    import rasterio
    import rasterio.shutil
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise InputError(f"write_raster needs an xarray.DataArray; got {type(da).__name__}.")
    p = Path(path)
    if p.suffix.lower() not in (".tif", ".tiff"):
        raise InputError(f"a COG must be written to a .tif or .tiff file; got {p.name!r}.")
    _layout(da)
    if da.rio.crs is None:
        raise CRSError(
            "the array has no CRS; set it with da.rio.write_crs('EPSG:XXXX') (geoai.Grid "
            "outputs carry it)."
        )
    dtype_out = _dtype(da, dtype)
    fill = _nodata(da, nodata, dtype_out)
    if categories is not None:
        labels = {
            f"value_{int(v)}": " | ".join(map(str, c.values())) for v, c in categories.items()
        }
        band_metadata = {**(band_metadata or {}), **labels}
    about = _About(da, description, unit, band_metadata, metadata)
    rat = attribute_table_xml(categories) if categories is not None and attribute_table else None
    qml_path = p.with_suffix(".qml")
    aux_path = p.with_name(p.name + ".aux.xml")
    check_writable(p, overwrite=overwrite)
    if style is not False:
        check_writable(qml_path, overwrite=overwrite)
    if rat is not None:
        check_writable(aux_path, overwrite=overwrite)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(p, overwrite=overwrite))
        tmp_qml = (
            stack.enter_context(atomic_path(qml_path, overwrite=overwrite))
            if style is not False
            else None
        )
        tmp_aux = stack.enter_context(atomic_path(aux_path, overwrite=overwrite)) if rat else None
        staging = tmp.with_name(tmp.stem + ".staging.tif")
        try:
            with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE, GDAL_PAM_ENABLED="NO"):
                stats = _write_staging(da, staging, fill, dtype_out, about)
                rasterio.shutil.copy(
                    staging, tmp, driver="COG", COMPRESS="DEFLATE", PREDICTOR="YES",
                    BLOCKSIZE=str(COG_BLOCKSIZE), OVERVIEWS="AUTO", BIGTIFF="IF_SAFER",
                    RESAMPLING="AVERAGE" if dtype_out.kind == "f" else "NEAREST",
                    NUM_THREADS="ALL_CPUS",
                )  # fmt: skip
        finally:
            staging.unlink(missing_ok=True)
        if tmp_qml is not None:
            qml = style if isinstance(style, str) else _style(stats, dtype_out, ramp, classes)
            tmp_qml.write_text(qml, encoding="utf-8")
        if tmp_aux is not None and rat is not None:
            tmp_aux.write_text(rat, encoding="utf-8")
    return p


def _dtype(da: xr.DataArray, dtype: str | None) -> np.dtype:
    """Return the dtype written: ``dtype`` if given, else the array's (bool as uint8)."""
    if dtype is not None:
        try:
            out = np.dtype(dtype)
        except TypeError:
            out = None
        if out is None or out.name not in _DTYPES:
            raise InputError(f"cannot write dtype {dtype!r}; use one of {', '.join(_DTYPES)}.")
        return out
    out = np.dtype(np.uint8) if da.dtype == bool else np.dtype(da.dtype)
    if out.name not in _DTYPES:
        raise InputError(f"cannot write dtype {da.dtype}; use one of {', '.join(_DTYPES)}.")
    return out


def _style(stats: _Stats, dtype: np.dtype, ramp: str, classes: int) -> str:
    sample = stats.values()
    if sample.size == 0:
        return qgis.raster_style([0.0, 1.0], ramp=ramp, mode="equal")
    if dtype.kind in "iu":
        values = np.unique(sample)
        if values.size <= 2 * classes:
            anchors = values if values.size > 1 else np.array([values[0], values[0] + 1])
            return qgis.raster_style(anchors, ramp=ramp, interpolation="exact", mode="continuous")
    breaks = qgis.class_breaks(sample, classes=classes, mode="quantile")
    return qgis.raster_style(breaks, ramp=ramp, mode="quantile")
