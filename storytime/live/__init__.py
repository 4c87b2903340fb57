"""The live room's views: the dashboard, the display and the streams that read the event log."""
