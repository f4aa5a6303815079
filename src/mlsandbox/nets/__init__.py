"""Network families (PyTorch; imported only for training and export)."""
