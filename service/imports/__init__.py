"""Bringing directories in and out: file formats, the bulk batch, import jobs and exports."""
