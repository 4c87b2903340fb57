"""Setting up storytimes: staff pages, join codes, QR codes and branch links."""
