// The public request form and the site QR page (controllers/ticket.py).
