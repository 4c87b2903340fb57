"""Review: past storytimes, songbook, questions, tips, ideas, charts, exports and recaps."""
