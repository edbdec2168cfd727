/**
 * Imported first by main.ts, so it runs before cdktf and the providers load.
 * cdktf records the full creation stack of every token and attribute list it
 * makes (thousands per synth), and tsx maps each frame through source maps:
 * about a sixth of the app's CPU (`npm run bench:synth -- --profile`). Off,
 * errors keep their messages; stack lines then point at transpiled code.
 */
process.setSourceMapsEnabled(false);
