import { render } from "preact";
import "./styles.css";
import "./api/session.ts";
import { App } from "./app.tsx";

render(<App />, document.getElementById("app")!);
