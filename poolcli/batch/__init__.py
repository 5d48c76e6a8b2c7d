"""Running inputs: one through the whole pipeline, many across processes or a Dask cluster.

``pipeline`` takes one input from load to written passes and sheet; ``targets`` decides what it
will write before any pixel is decoded; ``naming`` its file names; ``inputs`` finds the files;
``run_options`` is what the command line hands down; ``report`` what comes back; ``workers``
and ``worker_process`` run a local batch; ``cluster`` a Dask one. May import every layer below
(pictures, io, remote, core, spec); never the command line.
"""
