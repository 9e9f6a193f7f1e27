"""Running many inferences: scans over families of models and their output.

- :mod:`~likelihub.running.scan`: ``likelihub.scan``, the scan of any family of models (lock-step CLs,
  limits, output, resume);
- :mod:`~likelihub.running.points`: the point-source contract plugins implement;
- :mod:`~likelihub.running.scanning`: executors (serial, local processes, Dask), chunking, progress;
- :mod:`~likelihub.running.worker_processes`: workers that die with their parent;
- :mod:`~likelihub.running.scan_output`: rows appended as they finish, resume, atomic final file;
- :mod:`~likelihub.running.scan_formats`: CSV, JSON and JSON-lines rows.
"""
