// placeholder until the app module lands
export {};
