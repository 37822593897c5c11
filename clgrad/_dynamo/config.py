"""torch._dynamo.config: the settings clgrad.compile honours."""

# Input signatures recorded per compiled function; calls with further ones run eagerly.
cache_size_limit = 8
# torch falls back to eager on a compiler error when set; clgrad.compile always falls back
# (with a warning) unless fullgraph=True, so this changes nothing here.
suppress_errors = False
verbose = False
