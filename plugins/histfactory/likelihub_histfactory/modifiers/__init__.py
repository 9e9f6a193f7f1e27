"""HistFactory modifier types."""
