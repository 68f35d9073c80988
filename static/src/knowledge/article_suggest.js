// Articles suggested while a customer writes a request (controllers/knowledge.py).
