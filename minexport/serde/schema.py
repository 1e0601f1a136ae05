"""Constants of torch 2.13's export schema (torch/_export/serde/schema.py): versions and enum codes.

These are interface facts: the numbers torch writes into model.json.
"""
from .. import dtypes as dt

SCHEMA_VERSION = (8, 20)          # (major, minor) of the JSON schema we write and read
TREESPEC_VERSION = 1
ARCHIVE_FORMAT = "pt2"
ARCHIVE_VERSION = "0"
DATA_VERSION = "6"
DEFAULT_OPSET = {"aten": 10}

SCALAR_TYPE = {dt.uint8: 1, dt.int8: 2, dt.int16: 3, dt.int32: 4, dt.int64: 5, dt.float16: 6, dt.float32: 7,
               dt.float64: 8, dt.bool: 12, dt.bfloat16: 13}
SCALAR_TYPE_BY_CODE = {code: d for d, code in SCALAR_TYPE.items()}

LAYOUT = {"strided": 7}
LAYOUT_BY_CODE = {7: "strided"}

MEMORY_FORMAT = {"contiguous_format": 1, "channels_last": 2, "channels_last_3d": 3, "preserve_format": 4}
MEMORY_FORMAT_BY_CODE = {code: name for name, code in MEMORY_FORMAT.items()}

ARG_POSITIONAL, ARG_KEYWORD = 1, 2

# Hard limits: a file that asks for more is refused before anything is allocated.
MAX_JSON_BYTES = 1 << 30
MAX_TENSOR_BYTES = 1 << 40
MAX_NDIM = 64
