// The web package: see ARCHITECTURE.md. It starts empty and grows with the issues that need it.
export {};
