CASES = []  # filled by the next commit
