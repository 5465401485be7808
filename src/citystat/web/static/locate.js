// "Use my location" on the report form: progressive enhancement. Without JavaScript, or without
// permission, the resident types the address; with it, the device's position fills lat/long.
(function () {
  var slot = document.getElementById("cs-locate");
  if (!slot || !("geolocation" in navigator)) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "cs-button cs-button--secondary";
  button.textContent = slot.getAttribute("data-label");
  var status = document.createElement("p");
  status.setAttribute("role", "status");
  status.className = "cs-hint";
  slot.appendChild(button);
  slot.appendChild(status);
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("long").value = position.coords.longitude.toFixed(6);
      status.textContent = slot.getAttribute("data-found");
    }, function () {
      status.textContent = slot.getAttribute("data-failed");
    }, { enableHighAccuracy: true, timeout: 10000 });
  });
}());
