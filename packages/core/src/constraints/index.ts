// Public namespace rl.constraints: each module adds its own export line here.
export {};
