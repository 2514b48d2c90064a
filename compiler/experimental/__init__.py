"""`mlax.experimental`: JAX's experimental names mlax implements (`ode.odeint`)."""
