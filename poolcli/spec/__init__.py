"""What a pooling run is asked to do, described without numpy or Pillow (stdlib only).

Owns :class:`~poolcli.spec.pool_spec.PoolSpec` and the table of which option each mode takes
(``pool_spec``), target sizes in geometry words (``sizes``), the bounds a file may cost
(``limits``), image formats (``formats``) and how sheets look (``style``). May import
:mod:`poolcli.errors` only, so the command line can parse and check every value before any
heavy package loads.
"""
