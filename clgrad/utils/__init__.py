"""clgrad.utils: data loading (``clgrad.utils.data``) and hook handles (``clgrad.utils.hooks``).

Nothing is imported here: autograd's graph core imports ``utils.hooks`` while clgrad is still
initialising, before ``utils.data`` could be (clgrad/__init__.py imports that once ready).
"""
