package fleet

const simChildEnv = "FGAKIT_FLEET_SIM_CHILD"

func simChild() int { return 0 }
