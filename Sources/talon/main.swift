print("talon")
