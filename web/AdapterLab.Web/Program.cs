using AdapterLab.Web;

await WebApp.Create(args).RunAsync();
